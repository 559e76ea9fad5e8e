package dev.tandem.proxy.spool;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Says in words what a file operation ran into. The JDK's file exceptions often carry nothing but the path as their
 * message ({@link AccessDeniedException}, {@link NoSuchFileException}, ...), so "cannot create spool segment /x/y: "
 * followed by {@code getMessage()} would tell an operator only the path, twice.
 */
final class FileErrors {

    private FileErrors() {
    }

    /**
     * What went wrong, e.g. "permission denied (the proxy runs as user 'tandem')", "no space left on device" or
     * "directory /x does not exist". The file the error names is added when it is not {@code subject}, the file the
     * caller's message already names.
     */
    static String describe(IOException e, Path subject) {
        Path file = e instanceof FileSystemException f && f.getFile() != null ? Path.of(f.getFile()) : null;
        String what = what(e, file);
        if (file != null && !file.equals(subject) && !what.contains(file.toString())) {
            what += " (" + file + ")";
        }
        return what;
    }

    private static String what(IOException e, Path file) {
        if (e instanceof AccessDeniedException) {
            return "permission denied (the proxy runs as user '" + System.getProperty("user.name") + "')";
        }
        if (e instanceof NoSuchFileException) {
            Path parent = file == null ? null : file.toAbsolutePath().getParent();
            return parent != null && !Files.isDirectory(parent) ? notThere(parent) : "no such file or directory";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file or directory of that name already exists";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "the directory is not empty";
        }
        if (e instanceof ClosedByInterruptException) {
            return "the thread was interrupted, which closed the file";
        }
        if (e instanceof AsynchronousCloseException) {
            return "the file was closed while in use";
        }
        if (e instanceof ClosedChannelException) {
            return "the file was already closed";
        }
        String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
        if (reason == null || reason.isBlank()) {
            return e.getClass().getSimpleName();
        }
        if ("Not a directory".equals(reason) && file != null) {
            return notADirectory(file);
        }
        return lowerFirst(reason);
    }

    /** A missing directory, or the ancestor that stands in its way. */
    private static String notThere(Path directory) {
        Path existing = directory;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            return existing + " is not a directory";
        }
        return "directory " + directory + " does not exist";
    }

    /** ENOTDIR names the file being made, not the ancestor that is a file; find that one. */
    private static String notADirectory(Path file) {
        for (Path p = file.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                return p + " is not a directory";
            }
        }
        return "not a directory";
    }

    /** "No space left on device" reads as "no space left on device" after a colon; "I/O error" stays as it is. */
    private static String lowerFirst(String text) {
        if (text.length() > 1 && Character.isUpperCase(text.charAt(0)) && Character.isLowerCase(text.charAt(1))) {
            return Character.toLowerCase(text.charAt(0)) + text.substring(1);
        }
        return text;
    }
}
