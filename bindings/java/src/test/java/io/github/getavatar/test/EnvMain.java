package io.github.getavatar.test;

import io.github.getavatar.Client;

/** A user's program, run by LoaderTest in its own JVM: java -cp getavatar.jar:jna.jar:... EnvMain CHAT_ID */
public final class EnvMain {
    private EnvMain() {
    }

    public static void main(String[] args) {
        try (Client c = Client.fromEnv()) {
            System.out.println("library: " + Client.libraryPath());
            System.out.println("url: " + c.getAvatar(args[0]).url());
        } catch (Throwable e) {
            System.out.println("error: " + e);
        }
    }
}
