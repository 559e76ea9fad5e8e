package dev.tandem.proxy.verifier;

import java.util.List;
import java.util.Locale;

/**
 * How one verification run ended: every compared bucket agreed ({@code OK}), some differed ({@code DIVERGENT}), some
 * comparison failed ({@code ERROR}, whatever the others found), or the run did not compare anything because the
 * verifier is off ({@code SKIPPED}, not counted).
 */
public enum Outcome {
    OK,
    DIVERGENT,
    ERROR,
    SKIPPED;

    /** The outcomes {@code tandem_verifier_runs_total} counts. */
    static List<Outcome> counted() {
        return List.of(OK, DIVERGENT, ERROR);
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
