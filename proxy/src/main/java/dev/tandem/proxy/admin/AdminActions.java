package dev.tandem.proxy.admin;

import java.util.Optional;

/**
 * The operations behind the token-protected endpoints {@code POST /mirror/pause}, {@code POST /mirror/resume} and
 * {@code POST /dual-write/mark}.
 *
 * <p>Each method runs on the admin server's worker threads (it may write to the target) and returns a
 * Jackson-serialisable value that becomes the 200 response body ({@code null} is answered as {@code {}}). Throw
 * {@link AdminRequestException} for an expected refusal (e.g. 409 "mirroring is off"); any other exception becomes
 * a logged 500 with a generic message.
 */
public interface AdminActions {

    /** Stops applying spooled transactions to the target; the proxy keeps relaying and spooling. */
    Object pauseMirror() throws Exception;

    /** Resumes applying spooled transactions to the target. */
    Object resumeMirror() throws Exception;

    /**
     * Records "all writers are on the proxy now" in {@code tandem.dual_write} on the target.
     *
     * @param database the source database to mark, or empty to mark every database the proxy mirrors
     */
    Object markDualWrite(Optional<String> database) throws Exception;

    /** Actions for a proxy that does not mirror: every call is refused with 409 and says why. */
    AdminActions MIRROR_OFF = new AdminActions() {
        @Override
        public Object pauseMirror() {
            throw mirrorOff();
        }

        @Override
        public Object resumeMirror() {
            throw mirrorOff();
        }

        @Override
        public Object markDualWrite(Optional<String> database) {
            throw mirrorOff();
        }

        private AdminRequestException mirrorOff() {
            return new AdminRequestException(409, "mirroring is off (mirror.mode: off); there is nothing to pause, "
                    + "resume or mark");
        }
    };
}
