package dev.tandem.proxy.mirror;

import dev.tandem.proxy.capture.InputSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link InputSettings} in force in one target transaction, which starts under the target connection's own (as
 * the target reported them) and takes a statement's before the statement runs, through
 * {@link MirrorSchema#SET_INPUT_SETTINGS} (local to the transaction, so the next one starts over). A setting a
 * statement's record does not know (written by an older version) is the target's own.
 */
final class TargetInputSettings {

    private final List<String> own;
    private List<String> current;
    private InputSettings last;

    /** @param reported the run-time parameters the target connection reported */
    TargetInputSettings(Map<String, String> reported) {
        List<String> values = new ArrayList<>(InputSettings.NAMES.size());
        for (String name : InputSettings.NAMES) {
            values.add(reported.get(name));
        }
        this.own = values;
        this.current = values;
    }

    /**
     * The parameters of {@link MirrorSchema#SET_INPUT_SETTINGS} to run before a statement that ran under
     * {@code settings} on the source, or null when those are in force already.
     */
    String[] before(InputSettings settings) {
        if (settings.equals(last)) {
            return null;
        }
        last = settings;
        List<String> wanted = new ArrayList<>(own.size());
        for (int i = 0; i < own.size(); i++) {
            String value = settings.values().get(i);
            wanted.add(value != null ? value : own.get(i));
        }
        if (wanted.equals(current)) {
            return null;
        }
        current = wanted;
        return wanted.toArray(String[]::new);
    }
}
