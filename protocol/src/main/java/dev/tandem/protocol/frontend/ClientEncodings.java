package dev.tandem.protocol.frontend;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Java charset for a PostgreSQL {@code client_encoding}, as the server names it in its ParameterStatus (the
 * canonical names of PostgreSQL's "Character Set Support" table). The server reads a client's query strings, names
 * and text values in that encoding; a proxy that reads them must too.
 *
 * <p>{@code SQL_ASCII} means the server does no conversion at all: ISO-8859-1, which maps every byte to one character
 * and back, keeps the bytes as they are. Encodings without a charset in this JVM ({@code MULE_INTERNAL},
 * {@code EUC_JIS_2004}, {@code SHIFT_JIS_2004}, and {@code LATIN6}, {@code LATIN8}, {@code LATIN10} where the JDK
 * lacks ISO-8859-10/14/16) give none.
 */
public final class ClientEncodings {

    private static final Map<String, String> JAVA_NAMES = Map.ofEntries(
            Map.entry("SQL_ASCII", "ISO-8859-1"),
            Map.entry("UTF8", "UTF-8"),
            Map.entry("LATIN1", "ISO-8859-1"),
            Map.entry("LATIN2", "ISO-8859-2"),
            Map.entry("LATIN3", "ISO-8859-3"),
            Map.entry("LATIN4", "ISO-8859-4"),
            Map.entry("LATIN5", "ISO-8859-9"),
            Map.entry("LATIN6", "ISO-8859-10"),
            Map.entry("LATIN7", "ISO-8859-13"),
            Map.entry("LATIN8", "ISO-8859-14"),
            Map.entry("LATIN9", "ISO-8859-15"),
            Map.entry("LATIN10", "ISO-8859-16"),
            Map.entry("ISO_8859_5", "ISO-8859-5"),
            Map.entry("ISO_8859_6", "ISO-8859-6"),
            Map.entry("ISO_8859_7", "ISO-8859-7"),
            Map.entry("ISO_8859_8", "ISO-8859-8"),
            Map.entry("WIN866", "IBM866"),
            Map.entry("WIN874", "x-windows-874"),
            Map.entry("WIN1250", "windows-1250"),
            Map.entry("WIN1251", "windows-1251"),
            Map.entry("WIN1252", "windows-1252"),
            Map.entry("WIN1253", "windows-1253"),
            Map.entry("WIN1254", "windows-1254"),
            Map.entry("WIN1255", "windows-1255"),
            Map.entry("WIN1256", "windows-1256"),
            Map.entry("WIN1257", "windows-1257"),
            Map.entry("WIN1258", "windows-1258"),
            Map.entry("KOI8R", "KOI8-R"),
            Map.entry("KOI8U", "KOI8-U"),
            Map.entry("EUC_JP", "EUC-JP"),
            Map.entry("EUC_CN", "GB2312"),
            Map.entry("EUC_KR", "EUC-KR"),
            Map.entry("EUC_TW", "x-EUC-TW"),
            Map.entry("SJIS", "windows-31j"),
            Map.entry("BIG5", "x-windows-950"),
            Map.entry("GBK", "GBK"),
            Map.entry("UHC", "x-windows-949"),
            Map.entry("GB18030", "GB18030"),
            Map.entry("JOHAB", "x-Johab"));

    private ClientEncodings() {
    }

    /** The charset of {@code encoding} (case-insensitive), or empty when this JVM has none for it. */
    public static Optional<Charset> charset(String encoding) {
        String javaName = JAVA_NAMES.get(encoding.toUpperCase(Locale.ROOT));
        if (javaName == null || !Charset.isSupported(javaName)) {
            return Optional.empty();
        }
        return Optional.of(javaName.equals("UTF-8") ? StandardCharsets.UTF_8 : Charset.forName(javaName));
    }

    /**
     * Whether {@code text}, read in {@code charset}, gives back the same bytes when written in it: no replacement
     * character for bytes the charset could not read, and no character it cannot write. Only then can the text be
     * sent again as the bytes the client sent.
     */
    public static boolean roundTrips(String text, Charset charset) {
        if (text.indexOf('\uFFFD') >= 0 && !charset.equals(StandardCharsets.UTF_8)) {
            return false;
        }
        return charset.newEncoder().canEncode(text) && new String(text.getBytes(charset), charset).equals(text);
    }
}
