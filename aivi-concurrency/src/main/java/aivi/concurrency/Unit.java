package aivi.concurrency;

/**
 * The type with a single value, {@link #UNIT}: the result of an effect that is run for what it does, not
 * for a value (AIVI's {@code Unit}).
 *
 * {@snippet :
 * Effect<String, Unit> pause = Concurrency.sleep(10);
 * }
 */
public enum Unit {
    /** The only value. */
    UNIT
}
