package io.github.getavatar;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Finds and loads the getavatar library, once, and reads what it returns.
 *
 * <p>Where it looks, in order: the file {@code GETAVATAR_LIBRARY} names (the only place tried when
 * set: a silent fallback would hide a typo); {@code getavatar} in the folders of
 * {@code -Djna.library.path}; the library this jar carries for the platform
 * ({@code Platform.RESOURCE_PREFIX/}, e.g. {@code linux-x86-64/libgetavatar.so}, unpacked by JNA);
 * then the system's own search (LD_LIBRARY_PATH, PATH, ...). The jar's copy comes before the
 * system's, so a C SDK installed elsewhere never shadows the library this binding was built with.
 */
final class NativeLib {
    static final String ENV = "GETAVATAR_LIBRARY";
    private static final String NAME = "getavatar";
    /** Platforms whose library the released jar carries. */
    static final String[] BUNDLED = {"linux-x86-64", "win32-x86-64", "win32-x86"};

    private static volatile GaLibrary lib;
    private static String path;

    private NativeLib() {
    }

    /** The interface to load: the stdcall one on 32-bit Windows (where the DLL exports stdcall functions), else the plain one. */
    static Class<? extends GaLibrary> interfaceFor(boolean windows, boolean is64Bit) {
        return windows && !is64Bit ? GaLibrary.StdCall.class : GaLibrary.class;
    }

    static GaLibrary lib() {
        GaLibrary l = lib;
        if (l == null) {
            synchronized (NativeLib.class) {
                l = lib;
                if (l == null) {
                    l = load();
                    lib = l;
                }
            }
        }
        return l;
    }

    static synchronized String path() {
        lib();
        return path;
    }

    private static GaLibrary load() {
        Class<? extends GaLibrary> iface = interfaceFor(Platform.isWindows(), Platform.is64Bit());
        Map<String, Object> options = Collections.<String, Object>singletonMap(Library.OPTION_STRING_ENCODING, "UTF-8");
        List<String> tried = new ArrayList<>();
        String file = System.mapLibraryName(NAME);

        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            GaLibrary l = tryLoad(new File(env), iface, options, tried, ENV + "=");
            if (l != null) {
                return l;
            }
            throw notFound(tried);
        }
        String jnaPath = System.getProperty("jna.library.path");
        if (jnaPath != null && !jnaPath.isEmpty()) {
            for (String dir : jnaPath.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    GaLibrary l = tryLoad(new File(dir, file), iface, options, tried, "jna.library.path: ");
                    if (l != null) {
                        return l;
                    }
                }
            }
        }
        String resource = Platform.RESOURCE_PREFIX + "/" + file;
        ClassLoader loader = NativeLib.class.getClassLoader();
        java.net.URL url = loader == null ? null : loader.getResource(resource);
        if (url != null) {
            try {
                File unpacked = Native.extractFromResourcePath(NAME, loader);
                GaLibrary l = tryLoad(unpacked, iface, options, tried, "in the jar: " + resource + " unpacked to ");
                // Loaded (or not): the unpacked copy can go; a loaded DLL stays until the JVM ends.
                if (!"file".equals(url.getProtocol()) && !unpacked.delete()) {
                    unpacked.deleteOnExit();
                }
                if (l != null) {
                    path = url + " (unpacked to " + unpacked + ")";
                    return l;
                }
            } catch (IOException | RuntimeException e) {
                tried.add("in the jar: " + resource + " (" + e.getMessage() + ")");
            }
        } else {
            tried.add("in the jar: " + resource + " (not there)");
        }
        try {
            GaLibrary l = Native.load(NAME, iface, options);
            path = NAME + " (the system's library search)";
            return l;
        } catch (UnsatisfiedLinkError e) {
            tried.add("the system's library search for " + file + " (" + firstLine(e.getMessage()) + ")");
        }
        throw notFound(tried);
    }

    private static GaLibrary tryLoad(File f, Class<? extends GaLibrary> iface, Map<String, Object> options, List<String> tried,
            String where) {
        if (!f.isFile()) {
            tried.add(where + f + " (not found)");
            return null;
        }
        try {
            GaLibrary l = Native.load(f.getAbsolutePath(), iface, options);
            l.ga_version(); // resolves a symbol now: a file that is not the library fails here, not later
            path = f.getAbsolutePath();
            return l;
        } catch (UnsatisfiedLinkError e) {
            tried.add(where + f + " (" + firstLine(e.getMessage()) + ")");
            return null;
        }
    }

    private static UnsatisfiedLinkError notFound(List<String> tried) {
        StringBuilder m = new StringBuilder("cannot load the getavatar library for ").append(Platform.RESOURCE_PREFIX)
                .append("; tried:");
        for (String t : tried) {
            m.append("\n  ").append(t);
        }
        m.append("\nThis jar carries the library for ").append(String.join(", ", BUNDLED))
                .append(". Elsewhere build it (`cargo build --release` in the getavatar sources) and set ")
                .append(ENV).append(" to the file's full path, or add its folder to -Djna.library.path.");
        return new UnsatisfiedLinkError(m.toString());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    // -- text -------------------------------------------------------------------------------------

    // GA_MSG_* of include/getavatar.h: the checks made here whose text ga_message gives.
    static final int MSG_CLOSED = 1;
    static final int MSG_WRONG_TYPE = 2;
    static final int MSG_HAS_NUL = 3;
    static final int MSG_LONE_SURROGATE = 4;
    static final int MSG_OUT_OF_RANGE = 5;
    static final int MSG_OUT_OF_MEMORY = 8;

    /** The text of {@link #outOfMemory} when even ga_message cannot be called. */
    static final String OUT_OF_MEMORY = "getavatar: out of memory";

    /**
     * The library's text for a check made here (a {@code MSG_*} value), in {@code language}: the
     * client's language tag as it was given ({@code null}: the process default, as the client's own
     * messages follow). {@code null} blanks are empty.
     */
    static String message(String language, int message, String name, String value, String expected) {
        return text(lib().ga_message(language, message, name, value, expected));
    }

    /**
     * The error for memory the library could not allocate, in {@code language}; in English when
     * ga_message itself cannot run (out of memory in Java too, where calling it needs memory).
     */
    static OutOfMemoryError outOfMemory(String language) {
        String m;
        try {
            m = message(language, MSG_OUT_OF_MEMORY, null, null, null);
        } catch (Throwable e) {
            m = "";
        }
        return new OutOfMemoryError(m.isEmpty() ? OUT_OF_MEMORY : m);
    }

    /** {@link #arg(String, String, String)} where there is no client: the process default language. */
    static String arg(String name, String value) {
        return arg(null, name, value);
    }

    /**
     * {@code value} checked for the library: not null ({@link NullPointerException} naming it, as
     * Java code expects), no NUL character (C would cut the text there), no half of a surrogate
     * pair (UTF-8 cannot encode it; Java's encoder would silently put a '?' there). The refusals'
     * texts are the library's, in {@code language} (see {@link #message}).
     */
    static String arg(String language, String name, String value) {
        if (value == null) {
            throw new NullPointerException(name);
        }
        for (int i = 0, n = value.length(); i < n; i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new InvalidArgumentException(message(language, MSG_HAS_NUL, name, null, null));
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else {
                    throw new InvalidArgumentException(message(language, MSG_LONE_SURROGATE, name, Integer.toString(i), null));
                }
            }
        }
        return value;
    }

    /** A library-owned UTF-8 string, copied (not freed here); "" for NULL. */
    static String text(Pointer p) {
        return p == null ? "" : p.getString(0, "UTF-8");
    }

    /** This thread's last error, with the C setting names replaced by the builder's. */
    static String lastError() {
        return javaNames(text(lib().ga_last_error()));
    }

    /**
     * Settings a library message may tell the caller to change: the C function it names and what
     * sets it here (the table SETTING_NAMES in src/settings.rs; a test checks they match).
     */
    static final String[][] SETTING_NAMES = {
        {"ga_client_set_ca_file", "Client.Builder.caFile"},
        {"ga_client_set_trust", "Client.Builder.trust"},
        {"ga_client_set_proxy", "Client.Builder.proxy"},
        {"ga_client_set_deadline_ms", "Client.Builder.deadline"},
        {"ga_client_set_timeout_ms", "Client.Builder.timeout"},
    };

    static String javaNames(String message) {
        if (message.contains("ga_")) {
            for (String[] n : SETTING_NAMES) {
                message = message.replace(n[0], n[1]);
            }
        }
        return message;
    }

    // -- results ----------------------------------------------------------------------------------

    // GaAvatar: int32 status, http_status, available; then const char *url_avatar, *error.
    // GaAvatarImage: the same, then const uint8_t *data, size_t size, const char *content_type.
    // C aligns the first pointer to its size: offset 16 on 64-bit, 12 on 32-bit; size_t is
    // pointer-sized on every platform JNA runs on.
    private static final int P = Native.POINTER_SIZE;
    private static final int URL = (12 + P - 1) / P * P;
    private static final int ERROR = URL + P;
    private static final int DATA = URL + 2 * P;
    private static final int SIZE = URL + 3 * P;
    private static final int CONTENT_TYPE = URL + 4 * P;

    static int status(Pointer r) {
        return r.getInt(0);
    }

    /** The exception a failed result holds (status != 0). */
    static GetAvatarException error(Pointer r) {
        return GetAvatarException.of(r.getInt(0), javaNames(text(r.getPointer(ERROR))), r.getInt(4));
    }

    private static Boolean available(Pointer r) {
        int a = r.getInt(8);
        return a < 0 ? null : a != 0;
    }

    /** A GaAvatar's answer or exception (not freed here). */
    static Object avatarOrError(Pointer r) {
        if (r.getInt(0) != 0) {
            return error(r);
        }
        return new Avatar(text(r.getPointer(URL)), available(r), r.getInt(4));
    }

    /** A GaAvatar's answer; its exception thrown. Frees it. NULL (out of memory) is said in {@code language}. */
    static Avatar avatar(String language, Pointer r) {
        if (r == null) {
            throw outOfMemory(language);
        }
        try {
            Object o = avatarOrError(r);
            if (o instanceof GetAvatarException) {
                throw (GetAvatarException) o;
            }
            return (Avatar) o;
        } finally {
            lib().ga_free(r);
        }
    }

    /** A GaAvatarImage's answer; its exception thrown. Frees it. NULL (out of memory) is said in {@code language}. */
    static AvatarImage image(String language, Pointer r) {
        if (r == null) {
            throw outOfMemory(language);
        }
        try {
            if (r.getInt(0) != 0) {
                throw error(r);
            }
            Pointer data = r.getPointer(DATA);
            long size = P == 8 ? r.getLong(SIZE) : r.getInt(SIZE) & 0xffffffffL;
            byte[] bytes = data == null || size <= 0 ? new byte[0] : data.getByteArray(0, (int) size);
            return new AvatarImage(text(r.getPointer(URL)), available(r), bytes, text(r.getPointer(CONTENT_TYPE)), true);
        } finally {
            lib().ga_free(r);
        }
    }
}
