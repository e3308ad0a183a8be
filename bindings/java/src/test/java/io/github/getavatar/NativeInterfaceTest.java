package io.github.getavatar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import com.sun.jna.win32.StdCallLibrary;
import java.io.File;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java declarations against the C ABI: the header's functions and statuses, the Windows DLLs'
 * export tables, the stdcall interface for 32-bit Windows, the setting names, the Cleaner.
 * (A Windows JVM cannot run here: these checks are what keeps the Windows jar honest.)
 */
class NativeInterfaceTest {
    static final Path REPO = Paths.get(System.getProperty("getavatar.repo", "../.."));

    static String header() throws Exception {
        return new String(Files.readAllBytes(REPO.resolve("include/getavatar.h")), StandardCharsets.UTF_8);
    }

    /** Each function of the header: name -> Java types of its return and arguments, as GaLibrary must declare them. */
    static Map<String, List<String>> headerFunctions() throws Exception {
        String h = header().replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ").replaceAll("\\s+", " ");
        Map<String, List<String>> out = new TreeMap<>();
        Matcher m = Pattern.compile("GA_CALL (ga_\\w+)\\(([^)]*)\\);").matcher(h);
        Pattern ret = Pattern.compile("(void|double|GaStatus|const char \\*|struct \\w+ \\*)\\s*$");
        Map<String, String> returns = new TreeMap<>();
        while (m.find()) {
            Matcher r = ret.matcher(h.substring(Math.max(0, m.start() - 40), m.start()));
            returns.put(m.group(1), r.find() ? r.group(1) : "?");
        }
        m.reset();
        while (m.find()) {
            List<String> types = new ArrayList<>();
            // A returned string is the library's (static or per thread): read through a Pointer, never a String.
            String r = javaType(returns.get(m.group(1)));
            types.add(r.equals("String") ? "Pointer" : r);
            for (String a : m.group(2).split(",")) {
                a = a.trim();
                if (a.isEmpty() || a.equals("void")) {
                    continue;
                }
                types.add(javaType(a.replaceAll("\\w+$", "").trim()));
            }
            out.put(m.group(1), types);
        }
        return out;
    }

    static String javaType(String c) {
        c = c.replaceAll("\\s+", " ").replace(" *", "*").trim();
        if (c.endsWith("GaStatus") || c.endsWith("int32_t") || c.endsWith("GaTrust") || c.endsWith("GaMessage")) {
            return "int";
        }
        if (c.equals("void")) {
            return "void";
        }
        if (c.equals("double")) {
            return "double";
        }
        if (c.equals("const char*")) {
            return "String";
        }
        if (c.equals("const char*const*")) {
            return "String[]";
        }
        if (c.endsWith("*")) {
            return "Pointer";
        }
        return "? " + c;
    }

    static Map<String, List<String>> javaFunctions() {
        Map<String, List<String>> out = new TreeMap<>();
        for (Method m : GaLibrary.class.getDeclaredMethods()) {
            List<String> types = new ArrayList<>();
            types.add(name(m.getReturnType()));
            for (Class<?> p : m.getParameterTypes()) {
                types.add(name(p));
            }
            out.put(m.getName(), types);
        }
        return out;
    }

    static String name(Class<?> c) {
        return c == Pointer.class ? "Pointer" : c.getSimpleName();
    }

    @Test
    void theInterfaceDeclaresEveryHeaderFunctionWithItsTypes() throws Exception {
        Map<String, List<String>> h = headerFunctions();
        assertTrue(h.size() >= 30, "the header parsed: " + h.keySet());
        assertEquals(h, javaFunctions());
    }

    @Test
    void thirtyTwoBitWindowsUsesStdCall() {
        assertTrue(StdCallLibrary.class.isAssignableFrom(NativeLib.interfaceFor(true, false)));
        assertTrue(GaLibrary.class.isAssignableFrom(NativeLib.interfaceFor(true, false)));
        assertFalse(StdCallLibrary.class.isAssignableFrom(NativeLib.interfaceFor(true, true)));
        assertFalse(StdCallLibrary.class.isAssignableFrom(NativeLib.interfaceFor(false, true)));
        assertFalse(StdCallLibrary.class.isAssignableFrom(NativeLib.interfaceFor(false, false)));
        // The stdcall interface adds nothing: the same functions under the same plain names.
        assertEquals(0, GaLibrary.StdCall.class.getDeclaredMethods().length);
    }

    /** The DLLs the jar carries (win32-x86-64/, win32-x86/): their export tables hold exactly the interface's functions. */
    @Test
    void theWindowsDllsExportWhatTheInterfaceDeclares(@TempDir Path dir) throws Exception {
        boolean required = "1".equals(System.getenv("GETAVATAR_REQUIRE_DLLS"));
        TreeSet<String> declared = new TreeSet<>(javaFunctions().keySet());
        int checked = 0;
        for (String prefix : new String[] {"win32-x86-64", "win32-x86"}) {
            try (InputStream in = getClass().getClassLoader().getResourceAsStream(prefix + "/getavatar.dll")) {
                if (in == null) {
                    assertFalse(required, "the jar has no " + prefix + "/getavatar.dll");
                    continue;
                }
                Path dll = dir.resolve(prefix + ".dll");
                Files.copy(in, dll, StandardCopyOption.REPLACE_EXISTING);
                assertEquals(declared, exports(dll), prefix + ": the DLL's exports against GaLibrary");
                checked++;
            }
        }
        assumeTrue(checked == 2, "the jar under test carries no Windows DLLs (dist.sh's jar does)");
    }

    static TreeSet<String> exports(Path dll) throws Exception {
        Process p = new ProcessBuilder("x86_64-w64-mingw32-objdump", "-p", dll.toString()).redirectErrorStream(true).start();
        String text;
        try (InputStream in = p.getInputStream()) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                b.write(buf, 0, n);
            }
            text = new String(b.toByteArray(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, text);
        String[] parts = text.split("\\[Ordinal/Name Pointer\\] Table", 2);
        assertEquals(2, parts.length, "an export table: " + text);
        TreeSet<String> names = new TreeSet<>();
        String[] lines = parts[1].split("\n");
        for (int i = 1; i < lines.length && !lines[i].trim().isEmpty(); i++) {
            int b = lines[i].indexOf(']');
            if (b > 0) {
                names.add(lines[i].substring(b + 1).trim());
            }
        }
        return names;
    }

    @Test
    void statusConstantsAreTheHeadersNames() throws Exception {
        Matcher m = Pattern.compile("\\b(GA_(?:OK|ERR_\\w+)) = (\\d+),").matcher(header());
        int n = 0;
        while (m.find()) {
            Status s = Status.of(Integer.parseInt(m.group(2)));
            assertEquals(m.group(1), s.cName());
            assertEquals(m.group(1).replaceFirst("^GA_(ERR_)?", ""), s.name());
            n++;
        }
        assertEquals(Status.values().length - 1, n, "one constant per status, plus UNKNOWN");
        Matcher t = Pattern.compile("#define GA_TRUST_(\\w+) (\\d+)").matcher(header());
        int trusts = 0;
        while (t.find()) {
            assertEquals(Integer.parseInt(t.group(2)), Trust.valueOf(t.group(1)).code);
            trusts++;
        }
        assertEquals(Trust.values().length, trusts);
    }

    /** NativeLib's MSG_* constants are the header's GA_MSG_* values (ga_message's numbers). */
    @Test
    void messageConstantsAreTheHeadersValues() throws Exception {
        Map<String, Integer> header = new TreeMap<>();
        Matcher m = Pattern.compile("#define GA_MSG_(\\w+) (\\d+)").matcher(header());
        while (m.find()) {
            header.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertTrue(header.size() >= 8, "the header's GA_MSG_*: " + header);
        int n = 0;
        for (java.lang.reflect.Field f : NativeLib.class.getDeclaredFields()) {
            if (f.getName().startsWith("MSG_")) {
                assertEquals(header.get(f.getName().substring(4)), f.get(null), f.getName());
                n++;
            }
        }
        assertTrue(n >= 6, "the binding's MSG_* constants");
    }

    /** An out-of-memory error is said in the client's language, as the library says it. */
    @Test
    void outOfMemoryIsSaidInTheClientsLanguage() {
        assertEquals("getavatar: out of memory", NativeLib.outOfMemory("en").getMessage());
        assertEquals(NativeLib.OUT_OF_MEMORY, NativeLib.outOfMemory("en").getMessage());
        String ru = NativeLib.outOfMemory("ru").getMessage();
        assertTrue(ru.startsWith("getavatar: ") && ru.chars().anyMatch(ch -> ch >= 0x0400 && ch <= 0x04ff), ru);
    }

    @Test
    void eachStatusHasItsExceptionGroup() {
        Object[][] cases = {
            {1, InvalidArgumentException.class}, {2, ValidationException.class}, {3, UnauthorizedException.class},
            {4, ForbiddenException.class}, {5, NotFoundException.class}, {6, RateLimitException.class},
            {7, QuotaExceededException.class}, {8, ServerException.class}, {9, TimeoutException.class},
            {10, NetworkException.class}, {11, BadResponseException.class}, {12, InternalException.class},
            {13, FileException.class}, {14, CancelledException.class}, {77, GetAvatarException.class},
        };
        for (Object[] c : cases) {
            GetAvatarException e = GetAvatarException.of((Integer) c[0], "m", 418);
            assertEquals(c[1], e.getClass());
            assertEquals(Status.of((Integer) c[0]), e.status());
            assertEquals("m", e.getMessage());
        }
        assertTrue(GetAvatarException.of(3, "", 401) instanceof AuthException);
        assertTrue(GetAvatarException.of(4, "", 403) instanceof AuthException);
        assertEquals(0, GetAvatarException.of(1, "", 400).httpStatus(), "an invalid argument is never the server's");
    }

    @Test
    void settingNamesMatchTheCoreTable() throws Exception {
        String table = new String(Files.readAllBytes(REPO.resolve("src/settings.rs")), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\\[\\s*\"([^\"]+)\",\\s*\"(ga_client_set_\\w+)\",(\\s*\"[^\"]+\",)+\\s*\"[^\"]+\"\\s*\\]").matcher(table);
        TreeSet<String> core = new TreeSet<>();
        while (m.find()) {
            core.add(m.group(2));
        }
        TreeSet<String> java = new TreeSet<>();
        for (String[] n : NativeLib.SETTING_NAMES) {
            java.add(n[0]);
            String method = n[1].substring(n[1].lastIndexOf('.') + 1);
            assertTrue(Arrays.stream(Client.Builder.class.getMethods()).anyMatch(x -> x.getName().equals(method)), n[1]);
        }
        assertEquals(5, core.size());
        assertEquals(core, java);
        assertEquals("x (Client.Builder.caFile) y", NativeLib.javaNames("x (ga_client_set_ca_file) y"));
    }

    @Test
    void textWithNulOrHalfASurrogatePairIsRefused() {
        assertEquals("a😀b", NativeLib.arg("x", "a😀b"));
        for (String bad : new String[] {"a\u0000b", "a\ud800", "\udc00a", "a\ud800b"}) {
            org.junit.jupiter.api.Assertions.assertThrows(InvalidArgumentException.class, () -> NativeLib.arg("x", bad));
        }
    }

    @Test
    void theCleanerRunsForAnUnreachableObject() throws Exception {
        assertTrue(Cleanup.usesJavaCleaner(), "Java 9+ has java.lang.ref.Cleaner");
        CountDownLatch ran = new CountDownLatch(1);
        Object o = new Object();
        Cleanup.register(o, ran::countDown);
        o = null;
        for (int i = 0; i < 100 && ran.getCount() > 0; i++) {
            System.gc();
            ran.await(50, TimeUnit.MILLISECONDS);
        }
        assertEquals(0, ran.getCount(), "the action ran");
        assertNull(o);
    }

    @Test
    void theJava8CleanerRunsForAnUnreachableObjectAndOnce() throws Exception {
        // Java 8 has no java.lang.ref.Cleaner: the jar's own PhantomReference thread does its work.
        CountDownLatch ran = new CountDownLatch(1);
        Object o = new Object();
        Cleanup.Java8.register(o, ran::countDown);
        o = null;
        for (int i = 0; i < 100 && ran.getCount() > 0; i++) {
            System.gc();
            ran.await(50, TimeUnit.MILLISECONDS);
        }
        assertEquals(0, ran.getCount(), "the action ran");
        // clean() runs the action at most once, also when called before the object is collected.
        int[] runs = {0};
        Object kept = new Object();
        Cleanup.Cleanable c = Cleanup.Java8.register(kept, () -> runs[0]++);
        c.clean();
        c.clean();
        assertEquals(1, runs[0]);
        assertNull(o);
        java.lang.ref.Reference.reachabilityFence(kept);
    }

    @Test
    void anUnclosedClientIsCollectedAndFreed() throws Exception {
        // Nothing (the cleaner's action included) keeps a client reachable: it can be collected,
        // and then the cleaner frees its handle.
        WeakReference<Client> ref = new WeakReference<>(new Client("http://127.0.0.1:9", "1", "t"));
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(ref.get(), "the client was not collected");
    }
}
