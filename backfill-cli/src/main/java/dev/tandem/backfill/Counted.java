package dev.tandem.backfill;

/** A count with its noun as a person writes it: {@code 1 task}, {@code 4 tasks}. */
public final class Counted {

    private Counted() {
    }

    public static String of(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
