package io.github.getavatar.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a user's JVM finds the library: the jar's own, GETAVATAR_LIBRARY, -Djna.library.path, a clear message otherwise. */
class LoaderTest {
    static final String JAR = System.getProperty("getavatar.jar");
    static final String JNA = System.getProperty("getavatar.jna", "/usr/share/java/jna.jar");
    static final String TESTS = System.getProperty("getavatar.testclasses");

    static String run(String jar, Map<String, String> env, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.java());
        cmd.addAll(Arrays.asList(jvmArgs));
        cmd.add("-cp");
        cmd.add(jar + File.pathSeparator + JNA + File.pathSeparator + TESTS);
        cmd.add(EnvMain.class.getName());
        cmd.add("10000000");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("GETAVATAR_LIBRARY");
        pb.environment().remove("GA_API_URL");
        pb.environment().remove("GA_ID_INSTANCE");
        pb.environment().remove("GA_API_TOKEN_INSTANCE");
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = ClientTest.readAll(p.getInputStream());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new String(out, StandardCharsets.UTF_8);
    }

    static final class Paths {
        static String java() {
            return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        }
    }

    Map<String, String> env(Emu emu) {
        Map<String, String> m = new java.util.HashMap<>();
        m.put("GA_API_URL", emu.url);
        m.put("GA_ID_INSTANCE", emu.idInstance);
        m.put("GA_API_TOKEN_INSTANCE", emu.token);
        return m;
    }

    @Test
    void aUsersProgramRunsFromTheJarWithTheEnvironment() throws Exception {
        Emu emu = Emu.get();
        String out = run(JAR, env(emu));
        assertTrue(out.contains("url: " + emu.url + "/avatars/10000000.png"), out);
        assertTrue(out.contains("library: jar:"), "the jar's own library: " + out);
        Map<String, String> partial = env(emu);
        partial.remove("GA_ID_INSTANCE");
        partial.remove("GA_API_TOKEN_INSTANCE");
        out = run(JAR, partial);
        assertTrue(out.contains("InvalidArgumentException") && out.contains("GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE"), out);
    }

    @Test
    void getavatarLibraryWinsAndAMissingFileIsNamed() throws Exception {
        Emu emu = Emu.get();
        Map<String, String> e = env(emu);
        e.put("GETAVATAR_LIBRARY", "/nonexistent/libgetavatar.so");
        String out = run(JAR, e);
        assertTrue(out.contains("UnsatisfiedLinkError") && out.contains("GETAVATAR_LIBRARY=/nonexistent/libgetavatar.so (not found)"), out);
        assertFalse(out.contains("url:"), out);
        String so = System.getProperty("getavatar.so");
        e.put("GETAVATAR_LIBRARY", so);
        out = run(JAR, e);
        assertTrue(out.contains("library: " + new File(so).getAbsolutePath()) && out.contains("url: "), out);
    }

    @Test
    void jnaLibraryPathOverridesTheJar() throws Exception {
        Emu emu = Emu.get();
        File so = new File(System.getProperty("getavatar.so"));
        String out = run(JAR, env(emu), "-Djna.library.path=" + so.getParent());
        assertTrue(out.contains("library: " + so.getAbsolutePath()) && out.contains("url: "), out);
    }

    @Test
    void aJarWithoutThePlatformsLibrarySaysWhatToDo(@TempDir Path dir) throws Exception {
        File stripped = dir.resolve("getavatar-nonative.jar").toFile();
        try (ZipFile in = new ZipFile(JAR); ZipOutputStream out = new ZipOutputStream(new FileOutputStream(stripped))) {
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements();) {
                ZipEntry z = en.nextElement();
                if (z.getName().startsWith("linux-")) {
                    continue;
                }
                out.putNextEntry(new ZipEntry(z.getName()));
                try (InputStream s = in.getInputStream(z)) {
                    out.write(ClientTest.readAll(s));
                }
            }
        }
        String out = run(stripped.getPath(), env(Emu.get()), "-Djna.library.path=" + dir);
        assertTrue(out.contains("cannot load the getavatar library for linux-x86-64"), out);
        assertTrue(out.contains("in the jar: linux-x86-64/libgetavatar.so (not there)"), out);
        assertTrue(out.contains("GETAVATAR_LIBRARY") && out.contains("jna.library.path"), out);
        assertEquals(-1, out.indexOf("url:"), out);
        Files.delete(stripped.toPath());
    }
}
