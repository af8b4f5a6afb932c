package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Right padding never changes the log-probs of the real tokens. */
class PaddingInvarianceTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void paddedBatchGivesTheSameLogProbsAsEachSequenceAlone(String family) {
        List<Fixtures.Example> examples = Fixtures.examples(family);
        List<long[]> seqs = new ArrayList<>();
        List<Integer> promptLens = new ArrayList<>();
        for (Fixtures.Example e : examples) {
            seqs.add(concat(e.promptIds(), e.chosenIds()));
            promptLens.add(e.promptIds().length);
            seqs.add(concat(e.promptIds(), e.rejectedIds()));
            promptLens.add(e.promptIds().length);
        }
        int b = seqs.size();
        int t = seqs.stream().mapToInt(s -> s.length).max().orElseThrow();
        long[] ids = new long[b * t];
        long[] attention = new long[b * t];
        long[] loss = new long[b * t];
        Arrays.fill(ids, 0L);
        for (int i = 0; i < b; i++) {
            long[] s = seqs.get(i);
            System.arraycopy(s, 0, ids, i * t, s.length);
            Arrays.fill(attention, i * t, i * t + s.length, 1);
            Arrays.fill(loss, i * t + promptLens.get(i), i * t + s.length, 1);
        }
        try (DecoderModel model = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray input = m.create(ids, new Shape(b, t));
            NDArray logits = model.forward(input, m.create(attention, new Shape(b, t)));
            float[] batched = SequenceLogProbs.sumLogProbs(logits, input, m.create(loss, new Shape(b, t))).toFloatArray();
            for (int i = 0; i < b; i++) {
                long[] s = seqs.get(i);
                double alone = FixtureLogProbsTest.logProb(model, Arrays.copyOf(s, promptLens.get(i)),
                        Arrays.copyOfRange(s, promptLens.get(i), s.length));
                assertThat((double) batched[i]).as("sequence %d", i).isCloseTo(alone, within(1e-5));
            }
            Fixtures.Example first = examples.get(0);
            assertThat((double) batched[0]).isCloseTo(first.policyChosen(), within(1e-4));
            assertThat((double) batched[1]).isCloseTo(first.policyRejected(), within(1e-4));
        }
    }

    static long[] concat(long[] a, long[] b) {
        return LongStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
    }
}
