package io.github.getavatar;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Runs an action once an object is unreachable: {@code java.lang.ref.Cleaner} on Java 9 and newer
 * (reached by reflection: the jar is Java 8 bytecode), and on Java 8 the same thing by hand, a
 * daemon thread over a {@link ReferenceQueue} of {@link PhantomReference}s. The action must not
 * refer to the object (then it would never become unreachable).
 */
final class Cleanup {
    /** Runs the action now, unless it ran already; the object no longer needs watching. */
    interface Cleanable {
        void clean();
    }

    private static final Object CLEANER;
    private static final Method REGISTER;
    private static final Method CLEAN;

    static {
        Object cleaner = null;
        Method register = null;
        Method clean = null;
        try {
            Class<?> c = Class.forName("java.lang.ref.Cleaner");
            cleaner = c.getMethod("create").invoke(null);
            register = c.getMethod("register", Object.class, Runnable.class);
            clean = Class.forName("java.lang.ref.Cleaner$Cleanable").getMethod("clean");
        } catch (ReflectiveOperationException | LinkageError e) {
            cleaner = null; // Java 8
        }
        CLEANER = cleaner;
        REGISTER = register;
        CLEAN = clean;
    }

    private Cleanup() {
    }

    /** Whether {@code java.lang.ref.Cleaner} does the work (Java 9+). */
    static boolean usesJavaCleaner() {
        return CLEANER != null;
    }

    static Cleanable register(Object obj, Runnable action) {
        if (CLEANER != null) {
            try {
                final Object c = REGISTER.invoke(CLEANER, obj, action);
                return () -> {
                    try {
                        CLEAN.invoke(c);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                };
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return Java8.register(obj, action);
    }

    /** Java 8: PhantomReferences, and one daemon thread that runs their actions. */
    static final class Java8 extends PhantomReference<Object> implements Cleanable {
        private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<>();
        /** Keeps the references themselves reachable until they are cleaned. */
        private static final Set<Java8> LIVE = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<Java8, Boolean>()));
        private static Thread thread;

        private Runnable action;

        private Java8(Object obj, Runnable action) {
            super(obj, QUEUE);
            this.action = action;
        }

        static synchronized Cleanable register(Object obj, Runnable action) {
            Java8 ref = new Java8(obj, action);
            LIVE.add(ref);
            if (thread == null) {
                thread = new Thread(Java8::loop, "getavatar-cleaner");
                thread.setDaemon(true);
                thread.start();
            }
            return ref;
        }

        private static void loop() {
            while (true) {
                try {
                    ((Java8) QUEUE.remove()).clean();
                } catch (Throwable t) {
                    // An action's failure must not stop the others.
                }
            }
        }

        @Override
        public void clean() {
            Runnable a;
            synchronized (this) {
                a = action;
                action = null;
            }
            if (a != null) {
                LIVE.remove(this);
                clear();
                a.run();
            }
        }
    }
}
