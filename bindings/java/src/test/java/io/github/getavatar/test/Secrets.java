package io.github.getavatar.test;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** The promise: no text shown to a user holds 8 characters of the token, in any letter case, raw or percent-encoded. */
final class Secrets {
    private Secrets() {
    }

    static void assertNoToken(String token, String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        String decoded;
        try {
            decoded = java.net.URLDecoder.decode(text.replace("+", "%2B"), "UTF-8").toLowerCase(Locale.ROOT);
        } catch (Exception e) {
            decoded = lower;
        }
        for (int i = 0; i + 8 <= token.length(); i++) {
            String frag = token.substring(i, i + 8).toLowerCase(Locale.ROOT);
            String enc;
            try {
                enc = URLEncoder.encode(frag, "UTF-8").toLowerCase(Locale.ROOT);
            } catch (Exception e) {
                enc = frag;
            }
            if (lower.contains(frag) || decoded.contains(frag) || lower.contains(enc)) {
                fail("a fragment of the token (" + (i) + ".." + (i + 8) + ") is in: " + text.replace(token, "<TOKEN>"));
            }
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
