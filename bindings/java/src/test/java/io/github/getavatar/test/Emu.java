package io.github.getavatar.test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The getAvatar emulator (the repository's `emulator` example) on 127.0.0.1, one per test JVM,
 * controlled over its /__emulator/... endpoints as bindings/python/tests/conftest.py does.
 * The binary: the system property getavatar.emulator (test.sh sets it).
 */
final class Emu {
    private static Emu instance;

    final Process proc;
    final String url;
    final String idInstance;
    final String token;
    final String tlsUrl;
    final String tlsCaFile;

    private Emu() throws IOException {
        String bin = System.getProperty("getavatar.emulator");
        if (bin == null) {
            throw new IllegalStateException("set -Dgetavatar.emulator to the emulator binary (bindings/java/test.sh does)");
        }
        proc = new ProcessBuilder(bin, "--port", "0", "--rate-limit", "0").redirectErrorStream(false).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
        Map<String, String> env = new HashMap<>();
        for (String line; (line = r.readLine()) != null;) {
            line = line.trim();
            if (line.equals("ready")) {
                break;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        url = env.get("GA_API_URL");
        idInstance = env.get("GA_ID_INSTANCE");
        token = env.get("GA_API_TOKEN_INSTANCE");
        tlsUrl = env.get("GA_TEST_TLS_URL");
        tlsCaFile = env.get("GA_TEST_TLS_CA_FILE");
        if (url == null || token == null) {
            throw new IllegalStateException("the emulator did not start: " + env);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proc.destroyForcibly();
            new java.io.File(tlsCaFile).delete();
        }));
    }

    /** The emulator, reset, rate limit and quota off. */
    static synchronized Emu get() throws IOException {
        if (instance == null) {
            instance = new Emu();
        }
        instance.post("reset", "{}");
        instance.post("config", "{\"rate_limit\": 0, \"quota\": null}");
        return instance;
    }

    String post(String cmd, String json) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url + "/__emulator/" + cmd).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        try (OutputStream o = c.getOutputStream()) {
            o.write(json.getBytes(StandardCharsets.UTF_8));
        }
        return read(c);
    }

    /** Queues a fault, e.g. {@code {"kind": "status", "status": 503, "times": 4}}. */
    void fault(String json) throws IOException {
        post("faults", json);
    }

    /** The chat ids of the getAvatar requests received, in arrival order. */
    List<String> requestedIds() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url + "/__emulator/requests").openConnection();
        String body = read(c);
        int images = body.indexOf("\"images\"");
        String requests = body.substring(body.indexOf("\"requests\""));
        if (images > body.indexOf("\"requests\"")) {
            requests = body.substring(body.indexOf("\"requests\""), images);
        }
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("\"chat_id\":\"([^\"]*)\"").matcher(requests);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private static String read(HttpURLConnection c) throws IOException {
        int code = c.getResponseCode();
        try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            for (int n; in != null && (n = in.read(buf)) > 0;) {
                b.write(buf, 0, n);
            }
            String s = new String(b.toByteArray(), StandardCharsets.UTF_8);
            if (code != 200) {
                throw new IOException("emulator control: " + code + " " + s);
            }
            return s;
        }
    }
}
