package dev.tandem.backfill.ledger;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ledger entry ids as the operator names them, {@code 7} or {@code 5-9}, and as the backfill prints them: runs of
 * consecutive ids joined ({@code 2,5-9,12}), so a burst of shed transactions reads as one span.
 */
public final class EntryIds {

    private static final Pattern SPAN = Pattern.compile("(\\d{1,18})(?:-(\\d{1,18}))?");

    /**
     * {@code first..last} of ids; one id has {@code first == last} and {@code span} false.
     *
     * @param span written as {@code first-last}: it stands for the open entries without a time range among those ids
     */
    public record Selection(long first, long last, boolean span) {

        /** @throws IllegalArgumentException with a message saying what is wrong */
        public static Selection parse(String text) {
            Matcher m = SPAN.matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a ledger entry id (7) or a span of ids (5-9)");
            }
            long first = Long.parseLong(m.group(1));
            if (m.group(2) == null) {
                return new Selection(first, first, false);
            }
            long last = Long.parseLong(m.group(2));
            if (last < first) {
                throw new IllegalArgumentException("the span '" + text + "' runs backwards: write " + last + "-" + first);
            }
            return new Selection(first, last, true);
        }
    }

    private EntryIds() {
    }

    /** Sorted ids with runs of consecutive ones joined: {@code 2,5-9,12}. */
    public static String format(List<Long> sortedIds) {
        return format(sortedIds, Integer.MAX_VALUE);
    }

    /** As {@link #format(List)}, at most {@code maxRuns} runs, then how many ids there are in all. */
    public static String format(List<Long> sortedIds, int maxRuns) {
        List<String> runs = new ArrayList<>();
        int i = 0;
        while (i < sortedIds.size()) {
            int j = i;
            while (j + 1 < sortedIds.size() && sortedIds.get(j + 1) == sortedIds.get(j) + 1) {
                j++;
            }
            if (runs.size() == maxRuns) {
                return String.join(",", runs) + ",... (" + sortedIds.size() + " in all)";
            }
            runs.add(i == j ? Long.toString(sortedIds.get(i)) : sortedIds.get(i) + "-" + sortedIds.get(j));
            i = j + 1;
        }
        return String.join(",", runs);
    }
}
