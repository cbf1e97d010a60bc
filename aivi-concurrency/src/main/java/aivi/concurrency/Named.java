package aivi.concurrency;

/**
 * The primitive behind {@link Effect#named}: runs the inner effect with the fiber's name (its virtual thread's
 * name) set to {@link #name}, and restores the previous name afterwards, whatever the outcome.
 *
 * <p>When a named effect is what a new fiber runs, {@link Fiber#start} already gives the thread that name
 * before it starts ({@link #nameOf}), so the fiber never shows its default name in a dump; the rename here is
 * then a no-op. Only the fiber's own thread renames itself, so nothing is shared.
 */
final class Named<E, A> implements Node.Primitive<E, A> {
    final String name;
    final Effect<E, A> inner;

    Named(String name, Effect<E, A> inner) {
        this.name = name;
        this.inner = inner;
    }

    @SuppressWarnings("unchecked")
    @Override
    public Exit<E, A> run(Fiber fiber) {
        Thread me = Thread.currentThread();
        String before = me.getName();
        if (before.equals(name)) {
            return (Exit<E, A>) RunLoop.run(fiber, inner);
        }
        me.setName(name);
        try {
            return (Exit<E, A>) RunLoop.run(fiber, inner);
        } finally {
            me.setName(before);
        }
    }

    /** The name a fiber running {@code effect} starts with, or {@code null} for the default name. */
    static String nameOf(Effect<?, ?> effect) {
        return effect instanceof Node.Prim<?, ?> p && p.body instanceof Named<?, ?> n ? n.name : null;
    }
}
