package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;

import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * An independent decoder forward pass in double precision, written from the architectures' description rather
 * than from the model code, so tests can compare a family's logits against it. Plain loops over float weights
 * read out of the parameters: slow, but only ever run on tiny checkpoints.
 */
final class ReferenceForward {

    /**
     * What differs between families.
     *
     * @param embedScale  factor on the looked-up embeddings (Gemma: sqrt(hidden) rounded to float; others 1)
     * @param normOffset  added to every RMSNorm weight before scaling (Gemma stores w and scales by 1 + w; others 0)
     * @param queryHead   per layer prefix ("model.layers.N."), applied to each query head before RoPE (Qwen3: q_norm)
     * @param keyHead     per layer prefix, applied to each key head before RoPE (Qwen3: k_norm)
     * @param activation  the gate's activation in the gated MLP (act(gate) * up)
     */
    record Family(double embedScale, double normOffset, Function<String, UnaryOperator<double[]>> queryHead,
                  Function<String, UnaryOperator<double[]>> keyHead, DoubleUnaryOperator activation) {
    }

    /** A family without per-head q/k transforms. */
    static Function<String, UnaryOperator<double[]>> noHeadTransform() {
        return layerPrefix -> UnaryOperator.identity();
    }

    private ReferenceForward() {
    }

    /** Logits [t * vocab] of a tied-head decoder (embeddings reused as the output projection) for one sequence. */
    static double[] tiedLogits(ModelConfig c, Map<String, NDArray> p, long[] ids, Family family) {
        int t = ids.length;
        int h = c.hiddenSize();
        int hd = c.headDim();
        int heads = c.numHeads();
        int kvHeads = c.numKvHeads();
        double eps = c.normEps();
        double offset = family.normOffset();
        float[] embed = weight(p, "model.embed_tokens.weight");
        double[][] x = new double[t][h];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < h; j++) {
                x[i][j] = embed[(int) ids[i] * h + j] * family.embedScale();
            }
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String pre = "model.layers." + layer + ".";
            double[][] normed = rms(x, weight(p, pre + "input_layernorm.weight"), eps, offset);
            double[][] q = project(normed, weight(p, pre + "self_attn.q_proj.weight"), heads * hd);
            double[][] k = project(normed, weight(p, pre + "self_attn.k_proj.weight"), kvHeads * hd);
            double[][] v = project(normed, weight(p, pre + "self_attn.v_proj.weight"), kvHeads * hd);
            double[][] attended = causalAttention(q, k, v, heads, kvHeads, hd, c.ropeTheta(),
                    family.queryHead().apply(pre), family.keyHead().apply(pre));
            add(x, project(attended, weight(p, pre + "self_attn.o_proj.weight"), h));
            double[][] n2 = rms(x, weight(p, pre + "post_attention_layernorm.weight"), eps, offset);
            double[][] gate = project(n2, weight(p, pre + "mlp.gate_proj.weight"), c.intermediateSize());
            double[][] up = project(n2, weight(p, pre + "mlp.up_proj.weight"), c.intermediateSize());
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < c.intermediateSize(); j++) {
                    gate[i][j] = family.activation().applyAsDouble(gate[i][j]) * up[i][j];
                }
            }
            add(x, project(gate, weight(p, pre + "mlp.down_proj.weight"), h));
        }
        double[][] out = rms(x, weight(p, "model.norm.weight"), eps, offset);
        return flatten(project(out, embed, c.vocabSize()));
    }

    /** Causal softmax attention per query head over its shared KV head, after transforming and rotating q and k. */
    static double[][] causalAttention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int hd,
                                      double theta, UnaryOperator<double[]> queryHead,
                                      UnaryOperator<double[]> keyHead) {
        int t = q.length;
        double[][] attended = new double[t][heads * hd];
        for (int head = 0; head < heads; head++) {
            int kvHead = head / (heads / kvHeads);
            double[][] qh = new double[t][];
            double[][] kh = new double[t][];
            for (int i = 0; i < t; i++) {
                qh[i] = rotate(queryHead.apply(slice(q[i], head * hd, hd)), i, theta);
                kh[i] = rotate(keyHead.apply(slice(k[i], kvHead * hd, hd)), i, theta);
            }
            for (int i = 0; i < t; i++) {
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) {
                        s += qh[i][d] * kh[j][d];
                    }
                    scores[j] = s / Math.sqrt(hd);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = 0; j <= i; j++) {
                    for (int d = 0; d < hd; d++) {
                        attended[i][head * hd + d] += scores[j] / sum * v[j][kvHead * hd + d];
                    }
                }
            }
        }
        return attended;
    }

    /** A parameter's values as floats (copied out of the NDArray). */
    static float[] weight(Map<String, NDArray> p, String name) {
        return p.get(name).toFloatArray();
    }

    /** rows @ W^T with W stored [out, in]. */
    static double[][] project(double[][] rows, float[] weight, int out) {
        int in = rows[0].length;
        double[][] r = new double[rows.length][out];
        for (int i = 0; i < rows.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int j = 0; j < in; j++) {
                    s += rows[i][j] * weight[o * in + j];
                }
                r[i][o] = s;
            }
        }
        return r;
    }

    /** RMSNorm of every row: x / rms(x) * (offset + w). */
    static double[][] rms(double[][] rows, float[] weight, double eps, double offset) {
        double[][] r = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            r[i] = rmsVector(rows[i], weight, eps, offset);
        }
        return r;
    }

    /** RMSNorm of one vector: v / rms(v) * (offset + w). */
    static double[] rmsVector(double[] v, float[] weight, double eps, double offset) {
        double ms = 0;
        for (double a : v) {
            ms += a * a;
        }
        double scale = 1 / Math.sqrt(ms / v.length + eps);
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i] * scale * (offset + weight[i]);
        }
        return r;
    }

    /** Rotates pair (i, i + d/2) by position * theta^(-2i/d). */
    static double[] rotate(double[] v, int position, double theta) {
        int half = v.length / 2;
        double[] r = new double[v.length];
        for (int i = 0; i < half; i++) {
            double angle = position * Math.pow(theta, -2.0 * i / v.length);
            r[i] = v[i] * Math.cos(angle) - v[i + half] * Math.sin(angle);
            r[i + half] = v[i + half] * Math.cos(angle) + v[i] * Math.sin(angle);
        }
        return r;
    }

    /** v[from, from + length) as a new array. */
    static double[] slice(double[] v, int from, int length) {
        double[] r = new double[length];
        System.arraycopy(v, from, r, 0, length);
        return r;
    }

    /** Residual add in place: x += delta. */
    static void add(double[][] x, double[][] delta) {
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                x[i][j] += delta[i][j];
            }
        }
    }

    /** [t][vocab] logits as one row-major [t * vocab] array, the layout of the model's output. */
    static double[] flatten(double[][] logits) {
        int vocab = logits[0].length;
        double[] flat = new double[logits.length * vocab];
        for (int i = 0; i < logits.length; i++) {
            System.arraycopy(logits[i], 0, flat, i * vocab, vocab);
        }
        return flat;
    }
}
