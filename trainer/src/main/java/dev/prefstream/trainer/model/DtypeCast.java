package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A dtype cast that autograd sees, for the float16 forward pass (float32 islands such as norm statistics, attention
 * softmax and the final logits).
 *
 * <p>Why not {@code NDArray.toType}: DJL 0.35.1's JNI runs {@code Tensor.to} under a {@code NoGradGuard}, so its
 * result is cut off the graph and backward fails ("element 0 of tensors does not require grad") or, worse,
 * silently drops the gradient of everything before the cast. Here the cast is an {@code index_put_} of the source
 * into an uninitialised array of the target type: one copy kernel, like {@code Tensor.to}, recorded by autograd
 * (the gradient flows back to the source, cast to its dtype by PyTorch).
 */
public final class DtypeCast {

    private static final NDIndex ELLIPSIS = new NDIndex("...");

    private DtypeCast() {
    }

    /**
     * {@code x} as {@code type}, differentiable; {@code x} itself when it already has that type. The result is
     * attached to {@code x}'s manager and lives on {@code x}'s device.
     */
    public static NDArray to(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        PtNDArray out = JniUtils.createEmptyNdArray((PtNDManager) x.getManager(), x.getShape(), type, x.getDevice(),
                SparseFormat.DENSE);
        JniUtils.indexAdvPut(out, ELLIPSIS, (PtNDArray) x);
        return out;
    }

    /**
     * Replaces a constant {@code a} (weights being loaded, RoPE tables) by a copy in {@code type} in the same manager
     * and frees {@code a} at once, so two full copies never coexist. Not differentiable: for arrays outside any graph.
     */
    public static NDArray replaceConstant(NDArray a, DataType type) {
        if (a.getDataType() == type) {
            return a;
        }
        NDArray c = a.toType(type, false);
        c.attach(a.getManager());
        a.close();
        return c;
    }
}
