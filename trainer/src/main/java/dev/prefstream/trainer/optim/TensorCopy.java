package dev.prefstream.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * In-place device-side copy {@code dst[...] = src} (PyTorch {@code index_put_} with an ellipsis), without a host
 * round trip (DJL's {@code NDArray.copyTo} goes through a host ByteBuffer) and without autograd: both sides are
 * detached first, and the copy runs in {@link NoGrad}. Used for optimizer-state restore, float16 write-back of
 * master weights and hard reference refreshes.
 */
public final class TensorCopy {

    private TensorCopy() {
    }

    /** Copies {@code src} (same shape, any dtype/device: cast and moved by PyTorch) into {@code dst}'s storage. */
    public static void copyInto(NDArray dst, NDArray src) {
        if (!dst.getShape().equals(src.getShape())) {
            throw new IllegalArgumentException("shape mismatch: " + dst.getShape() + " <- " + src.getShape());
        }
        try (NoGrad ignored = NoGrad.enter();
             NDArray d = dst.stopGradient();
             NDArray s = src.stopGradient();
             // another device (a reference in host memory): one transfer, freed here
             NDArray onDevice = s.getDevice().equals(d.getDevice()) ? null : s.toDevice(d.getDevice(), false)) {
            JniUtils.indexAdvPut((PtNDArray) d, new NDIndex("..."), (PtNDArray) (onDevice == null ? s : onDevice));
        }
    }
}
