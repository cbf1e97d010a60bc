package aivi.concurrency;

import java.util.Arrays;

// The per-fiber values of FiberLocals: an immutable array of key/value pairs [k0, v0, k1, v1, ...], looked up
// by identity. It is never mutated after it is published: set builds a new array, so a fiber starting a child
// hands over its current array by reference (Fiber.start, before Thread.start, which orders the write before
// everything the child does) and neither side can observe the other's later sets. Only the owning fiber's
// thread reads or replaces Fiber.locals. Programs use a handful of locals, so a linear scan beats hashing.
final class FiberLocals {
    private FiberLocals() {
    }

    static final Object[] EMPTY = new Object[0];

    static Object get(Object[] locals, FiberLocal<?> key, Object initial) {
        for (int i = 0; i < locals.length; i += 2) {
            if (locals[i] == key) {
                return locals[i + 1];
            }
        }
        return initial;
    }

    static Object[] with(Object[] locals, FiberLocal<?> key, Object value) {
        for (int i = 0; i < locals.length; i += 2) {
            if (locals[i] == key) {
                Object[] copy = locals.clone();
                copy[i + 1] = value;
                return copy;
            }
        }
        Object[] copy = Arrays.copyOf(locals, locals.length + 2);
        copy[locals.length] = key;
        copy[locals.length + 1] = value;
        return copy;
    }

    /** {@code locals} with {@code key} bound as in {@code before} (or unbound, if it was not bound there). */
    static Object[] restore(Object[] locals, FiberLocal<?> key, Object[] before) {
        for (int i = 0; i < before.length; i += 2) {
            if (before[i] == key) {
                return with(locals, key, before[i + 1]);
            }
        }
        for (int i = 0; i < locals.length; i += 2) {
            if (locals[i] == key) {
                Object[] copy = new Object[locals.length - 2];
                System.arraycopy(locals, 0, copy, 0, i);
                System.arraycopy(locals, i + 2, copy, i, locals.length - i - 2);
                return copy;
            }
        }
        return locals;
    }
}
