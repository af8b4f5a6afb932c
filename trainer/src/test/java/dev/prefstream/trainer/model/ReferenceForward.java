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
        int h = c.hiddenSize();
        int hd = c.headDim();
        int heads = c.numHeads();
        int kvHeads = c.numKvHeads();
        double eps = c.normEps();
        double offset = family.normOffset();
        float[] embed = weight(p, "model.embed_tokens.weight");
        double[][] x = embed(embed, h, ids, family.embedScale());
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
            add(x, gatedMlp(n2, p, pre, c, family.activation()));
        }
        double[][] out = rms(x, weight(p, "model.norm.weight"), eps, offset);
        return flatten(project(out, embed, c.vocabSize()));
    }

    /** Causal softmax attention per query head over its shared KV head, after transforming and rotating q and k. */
    static double[][] causalAttention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int hd,
                                      double theta, UnaryOperator<double[]> queryHead,
                                      UnaryOperator<double[]> keyHead) {
        return causalAttention(q, k, v, heads, kvHeads, hd, Scores.plain(hd),
                (head, i) -> rotate(queryHead.apply(head), i, theta), (head, i) -> rotate(keyHead.apply(head), i, theta));
    }

    /** A query or key head's transform at a position (RoPE, norms), or none. */
    interface HeadAtPosition {
        double[] apply(double[] head, int position);

        static HeadAtPosition none() {
            return (head, position) -> head;
        }
    }

    /**
     * How scores are formed: q . k times {@code scale}, then tanh(s / softcap) * softcap when {@code softcap} is
     * set; with a {@code window}, query i sees only keys j with i - j < window.
     */
    record Scores(double scale, Double softcap, Integer window) {
        /** 1 / sqrt(head_dim), no softcap, no window. */
        static Scores plain(int hd) {
            return new Scores(1 / Math.sqrt(hd), null, null);
        }
    }

    /** Causal softmax attention per query head over its shared KV head; q and k heads transformed per position. */
    static double[][] causalAttention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int hd,
                                      Scores how, HeadAtPosition queryHead, HeadAtPosition keyHead) {
        int t = q.length;
        double[][] attended = new double[t][heads * hd];
        for (int head = 0; head < heads; head++) {
            int kvHead = head / (heads / kvHeads);
            double[][] qh = new double[t][];
            double[][] kh = new double[t][];
            for (int i = 0; i < t; i++) {
                qh[i] = queryHead.apply(slice(q[i], head * hd, hd), i);
                kh[i] = keyHead.apply(slice(k[i], kvHead * hd, hd), i);
            }
            for (int i = 0; i < t; i++) {
                int first = how.window() == null ? 0 : Math.max(0, i - how.window() + 1);
                double[] scores = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = first; j <= i; j++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) {
                        s += qh[i][d] * kh[j][d];
                    }
                    s *= how.scale();
                    if (how.softcap() != null) {
                        s = Math.tanh(s / how.softcap()) * how.softcap();
                    }
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = first; j <= i; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int j = first; j <= i; j++) {
                    for (int d = 0; d < hd; d++) {
                        attended[i][head * hd + d] += scores[j] / sum * v[j][kvHead * hd + d];
                    }
                }
            }
        }
        return attended;
    }

    /** transformers' ACT2FN by name: gelu (exact erf), gelu_new / gelu_pytorch_tanh (tanh formula), relu, silu. */
    static double activation(String name, double g) {
        return switch (name) {
            case "gelu" -> 0.5 * g * (1 + erf(g / Math.sqrt(2)));
            case "gelu_new", "gelu_pytorch_tanh" ->
                    0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g)));
            case "relu" -> Math.max(0, g);
            case "silu" -> g / (1 + Math.exp(-g));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** act(x) for every element, in place; returns {@code rows}. */
    static double[][] activate(double[][] rows, String name) {
        for (double[] row : rows) {
            for (int j = 0; j < row.length; j++) {
                row[j] = activation(name, row[j]);
            }
        }
        return rows;
    }

    /** rows @ W^T + b, with b absent when the parameters have none. */
    static double[][] affine(double[][] rows, Map<String, NDArray> p, String module, int out) {
        double[][] r = project(rows, weight(p, module + ".weight"), out);
        if (p.containsKey(module + ".bias")) {
            float[] bias = weight(p, module + ".bias");
            for (double[] row : r) {
                for (int o = 0; o < out; o++) {
                    row[o] += bias[o];
                }
            }
        }
        return r;
    }

    /** LayerNorm: (x - mean) / sqrt(biased variance + eps) * w + b per row. */
    static double[][] layerNorm(double[][] rows, Map<String, NDArray> p, String module, double eps) {
        float[] w = weight(p, module + ".weight");
        float[] b = weight(p, module + ".bias");
        double[][] r = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double[] x = rows[i];
            double mean = 0;
            for (double a : x) {
                mean += a;
            }
            mean /= x.length;
            double var = 0;
            for (double a : x) {
                var += (a - mean) * (a - mean);
            }
            var /= x.length;
            r[i] = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                r[i][j] = (x[j] - mean) / Math.sqrt(var + eps) * w[j] + b[j];
            }
        }
        return r;
    }

    /** Rows of an embedding table [rows, width] for {@code ids}, times {@code scale}. */
    static double[][] embed(float[] table, int width, long[] ids, double scale) {
        double[][] x = new double[ids.length][width];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < width; j++) {
                x[i][j] = table[(int) ids[i] * width + j] * scale;
            }
        }
        return x;
    }

    /**
     * erf in double: its Maclaurin series below |z| = 3 (terms stay below e^9, so about 12 digits survive), the
     * continued fraction of erfc above.
     */
    static double erf(double z) {
        double a = Math.abs(z);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = a;
            for (int n = 60; n >= 1; n--) {
                f = a + (n / 2.0) / f;
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        }
        return z < 0 ? -r : r;
    }

    /** down_proj(act(gate_proj(x)) * up_proj(x)) of layer prefix {@code pre}, no biases. */
    static double[][] gatedMlp(double[][] x, Map<String, NDArray> p, String pre, ModelConfig c,
                               DoubleUnaryOperator activation) {
        double[][] gate = project(x, weight(p, pre + "mlp.gate_proj.weight"), c.intermediateSize());
        double[][] up = project(x, weight(p, pre + "mlp.up_proj.weight"), c.intermediateSize());
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < c.intermediateSize(); j++) {
                gate[i][j] = activation.applyAsDouble(gate[i][j]) * up[i][j];
            }
        }
        return project(gate, weight(p, pre + "mlp.down_proj.weight"), c.hiddenSize());
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
