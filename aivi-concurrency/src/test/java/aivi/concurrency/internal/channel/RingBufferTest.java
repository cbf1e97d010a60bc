package aivi.concurrency.internal.channel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The buffer on its own: outcomes of an append, order across wrap-around and growth, growth capped by the bound,
 * and the release of a big array. Single-threaded, so the "under the lock" methods are called without it.
 */
class RingBufferTest {

    private static RingBuffer buffer(int bound) {
        return new RingBuffer(bound) {
        };
    }

    private static List<Object> drain(RingBuffer b) {
        List<Object> out = new ArrayList<>();
        while (b.count > 0) {
            out.add(b.popLocked());
        }
        return out;
    }

    @Test
    void growingAWrappedBufferKeepsSendOrder() {
        RingBuffer b = buffer(Integer.MAX_VALUE);
        for (int i = 0; i < 16; i++) {
            assertThat(b.appendLocked(i)).isEqualTo(RingBuffer.OFFERED);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(b.popLocked()).isEqualTo(i);
        }
        for (int i = 16; i < 26; i++) {
            assertThat(b.appendLocked(i)).isEqualTo(RingBuffer.OFFERED); // wraps: the values now start at slot 10
        }
        assertThat(b.head).isEqualTo(10);
        assertThat(b.appendLocked(26)).as("a full array that may grow").isEqualTo(RingBuffer.GROW);
        assertThat(b.count).as("GROW changes nothing").isEqualTo(16);

        b.growFrom(b.bufferLengthLocked());

        assertThat(b.bufferLengthLocked()).isEqualTo(32);
        assertThat(b.head).isZero();
        assertThat(b.appendLocked(26)).isEqualTo(RingBuffer.OFFERED);
        List<Object> expected = new ArrayList<>();
        for (int i = 10; i <= 26; i++) {
            expected.add(i);
        }
        assertThat(drain(b)).isEqualTo(expected);
    }

    @Test
    void aBufferAtItsBoundIsFullNotGrowable() {
        RingBuffer b = buffer(3);
        assertThat(b.bufferLengthLocked()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            assertThat(b.appendLocked(i)).isEqualTo(RingBuffer.OFFERED);
        }
        assertThat(b.appendLocked(3)).isEqualTo(RingBuffer.FULL);
        assertThat(drain(b)).containsExactly(0, 1, 2);
    }

    @Test
    void growthStopsAtTheBound() {
        RingBuffer b = buffer(20);
        for (int i = 0; i < 16; i++) {
            assertThat(b.appendLocked(i)).isEqualTo(RingBuffer.OFFERED);
        }
        assertThat(b.appendLocked(16)).isEqualTo(RingBuffer.GROW);
        b.growFrom(16);
        assertThat(b.bufferLengthLocked()).isEqualTo(20);
        for (int i = 16; i < 20; i++) {
            assertThat(b.appendLocked(i)).isEqualTo(RingBuffer.OFFERED);
        }
        assertThat(b.appendLocked(20)).isEqualTo(RingBuffer.FULL);
        assertThatThrownBy(() -> b.growFrom(20))
                .isInstanceOf(OutOfMemoryError.class)
                .hasMessageContaining("cannot grow beyond 20");
    }

    @Test
    void aGrowthThatAnotherThreadAlreadyMadeChangesNothing() {
        RingBuffer b = buffer(Integer.MAX_VALUE);
        for (int i = 0; i < 16; i++) {
            b.appendLocked(i);
        }
        b.growFrom(16);
        Object[] grown = b.items;
        b.growFrom(16); // a second thread that also saw 16 slots
        assertThat(b.items).isSameAs(grown);
        assertThat(drain(b)).hasSize(16);
    }

    @Test
    void aPopClearsItsSlotSoTheBufferPinsNothing() {
        RingBuffer b = buffer(4);
        Object value = new Object();
        b.appendLocked(value);
        assertThat(b.popLocked()).isSameAs(value);
        assertThat(b.items).containsOnlyNulls();
    }

    @Test
    void onlyAnArrayLongerThanTheReleaseLengthIsGivenBackWhenDrained() {
        RingBuffer small = buffer(Integer.MAX_VALUE);
        fill(small, RingBuffer.RELEASE_LENGTH);
        assertThat(small.bufferLengthLocked()).isEqualTo(RingBuffer.RELEASE_LENGTH);
        drain(small);
        assertThat(small.bufferLengthLocked()).as("kept: not longer than the release length")
                .isEqualTo(RingBuffer.RELEASE_LENGTH);

        RingBuffer big = buffer(Integer.MAX_VALUE);
        fill(big, RingBuffer.RELEASE_LENGTH + 1);
        assertThat(big.popLocked()).isEqualTo(0);
        assertThat(big.bufferLengthLocked()).as("not drained yet").isGreaterThan(RingBuffer.RELEASE_LENGTH);
        drain(big);
        assertThat(big.bufferLengthLocked()).isZero();
        // and it grows again from the first size
        assertThat(big.appendLocked(1)).isEqualTo(RingBuffer.GROW);
        big.growFrom(0);
        assertThat(big.bufferLengthLocked()).isEqualTo(RingBuffer.INITIAL_ARRAY);
        assertThat(big.appendLocked(1)).isEqualTo(RingBuffer.OFFERED);
    }

    /** Appends 0, 1, ... n - 1, growing as a channel would. */
    private static void fill(RingBuffer b, int n) {
        for (int i = 0; i < n; ) {
            int o = b.appendLocked(i);
            if (o == RingBuffer.GROW) {
                b.growFrom(b.bufferLengthLocked());
            } else {
                assertThat(o).isEqualTo(RingBuffer.OFFERED);
                i++;
            }
        }
    }
}
