package io.github.getavatar;

/** Whose roots TLS certificates are verified against ({@code ga_client_set_trust}). Certificates are always verified. */
public enum Trust {
    /**
     * The operating system's verifier and store (the default): the Windows certificate store, the
     * macOS keychain, on Linux the system bundle ({@code SSL_CERT_FILE} and {@code SSL_CERT_DIR}
     * honoured). A company's TLS-inspecting proxy root installed there is trusted.
     */
    SYSTEM(0),
    /** The web roots bundled in the library, whatever the system trusts: for machines without a usable store. */
    BUNDLED(1);

    final int code;

    Trust(int code) {
        this.code = code;
    }
}
