package dev.tandem.proxy.mirror;

import dev.tandem.proxy.spool.SpoolException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code target.databases} sends a source database to another target database than the mapping its spooled
 * transactions were spooled under, while some of them are not applied to the old one: applied now, they would go to
 * the new one. A configuration error, reported before the proxy accepts clients.
 */
public final class MappingChangedException extends SpoolException {

    private static final long serialVersionUID = 1L;

    MappingChangedException(Path dir, List<SpooledMapping.Waiting> waiting) {
        super(message(dir, waiting));
    }

    private static String message(Path dir, List<SpooledMapping.Waiting> waiting) {
        String each = waiting.stream().map(w -> "source database '" + w.source() + "' was mirrored into target database '"
                + w.oldTarget() + "' and target.databases now sends it to '" + w.newTarget() + "', but "
                + w.records() + " of its transactions (" + w.bytes() + " bytes) wait in spool directory " + dir
                + " that '" + w.oldTarget() + "' has not applied, or that the proxy cannot tell it applied")
                .collect(Collectors.joining("; "));
        String old = waiting.stream().map(w -> "target.databases." + w.source() + "=" + w.oldTarget())
                .collect(Collectors.joining(", "));
        return each + ". Started so, the proxy would apply them to the new target database instead. Either start it"
                + " with the old mapping (" + old + ") until GET /status shows appliedSequence = spooledSequence, stop"
                + " it cleanly (it then holds nothing more for the old database) and start it with the new mapping;"
                + " or, knowingly leaving those transactions unapplied, move or empty " + dir
                + " (mirror.spool.dir) and repair the old database with tandem-backfill.";
    }
}
