package dev.prefstream.trainer.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.HashMap;
import java.util.Map;

/**
 * Factory of 0-dim float32 arrays on the CPU, used as the scalar operand of element-wise ops.
 *
 * <p>Why: {@code NDArray.mul(Number)} creates the scalar on the receiver's device, which on a GPU is a tiny
 * host-to-device copy that synchronises the stream (measured: -27% step throughput). A 0-dim CPU tensor combined
 * with a CUDA tensor is treated by PyTorch as a scalar argument, with no copy and no sync.
 *
 * <p>With {@code memoize} the factory keeps one array per distinct value (for constants such as beta that are
 * used every step; only for a BOUNDED set of values, since every distinct value stays until close); without,
 * every call creates a new array in the manager (for per-step values such as the
 * learning rate), and closing the manager frees them.
 */
public final class ScalarArrays implements AutoCloseable {

    private final NDManager cpu;
    private final boolean memoize;
    private final Map<Double, NDArray> cache = new HashMap<>();

    private ScalarArrays(NDManager cpu, boolean memoize) {
        this.cpu = cpu;
        this.memoize = memoize;
    }

    /** A long-lived factory that caches one array per value; close it with its owner. */
    public static ScalarArrays constants() {
        return new ScalarArrays(NDManager.newBaseManager(Device.cpu()), true);
    }

    /** A per-step factory: every value is a fresh array, all freed on {@link #close()}. */
    public static ScalarArrays perStep() {
        return new ScalarArrays(NDManager.newBaseManager(Device.cpu()), false);
    }

    /** 0-dim float32 CPU array holding {@code value}. */
    public NDArray of(double value) {
        if (!memoize) {
            return cpu.create((float) value);
        }
        return cache.computeIfAbsent(value, v -> cpu.create((float) v.doubleValue()));
    }

    /** 0-dim array of the given type (for scalars combined with float16 arrays, say). */
    public NDArray of(double value, DataType type) {
        if (type == DataType.FLOAT32) {
            return of(value);
        }
        NDArray f = cpu.create((float) value);
        return f.toType(type, false);
    }

    @Override
    public void close() {
        cache.clear();
        cpu.close();
    }
}
