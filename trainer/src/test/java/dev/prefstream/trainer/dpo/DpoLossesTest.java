package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.optim.ScalarArrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The losses against the reference values computed by PyTorch with TRL's formulas (fixtures/{gpt2,llama}), and the
 * variants the fixtures do not cover against the formulas evaluated in double precision here.
 */
class DpoLossesTest {

    private static final double REL = 1e-5;

    private NDManager manager;
    private ScalarArrays scalars;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        scalars = ScalarArrays.constants();
    }

    @AfterEach
    void tearDown() {
        scalars.close();
        manager.close();
    }

    private PairLogps logps(FixtureLogps f) {
        return new PairLogps(manager.create(f.policyChosen()), manager.create(f.policyRejected()),
                manager.create(f.referenceChosen()), manager.create(f.referenceRejected()),
                manager.create(f.chosenTokens()), manager.create(f.rejectedTokens()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "gpt2, sigmoid, SIGMOID, 0.0", "gpt2, cdpo_ls0.1, SIGMOID, 0.1", "gpt2, robust_ls0.1, ROBUST, 0.1",
            "gpt2, hinge, HINGE, 0.0", "gpt2, ipo, IPO, 0.0", "gpt2, apo_zero, APO_ZERO, 0.0",
            "gpt2, sppo_hard, SPPO_HARD, 0.0", "gpt2, nca_pair, NCA_PAIR, 0.0",
            "llama, sigmoid, SIGMOID, 0.0", "llama, cdpo_ls0.1, SIGMOID, 0.1", "llama, robust_ls0.1, ROBUST, 0.1",
            "llama, hinge, HINGE, 0.0", "llama, ipo, IPO, 0.0", "llama, apo_zero, APO_ZERO, 0.0",
            "llama, sppo_hard, SPPO_HARD, 0.0", "llama, nca_pair, NCA_PAIR, 0.0"})
    void matchesReferenceLosses(String family, String fixtureKey, LossType type, double labelSmoothing) {
        FixtureLogps f = FixtureLogps.load(family);
        DpoConfig config = DpoConfig.of(f.beta(), type).withLabelSmoothing(labelSmoothing);
        DpoLosses.Output out = DpoLosses.compute(logps(f), config, null, scalars);
        float[] per = out.perExample().get(type).toFloatArray();
        double[] expected = f.expectedPerExample(fixtureKey);
        assertThat(per).hasSize(expected.length);
        for (int i = 0; i < per.length; i++) {
            assertThat((double) per[i]).as("%s %s example %d", family, fixtureKey, i)
                    .isCloseTo(expected[i], within(REL * Math.abs(expected[i])));
        }
        double mean = f.expectedMean(fixtureKey);
        assertThat((double) out.loss().getFloat()).isCloseTo(mean, within(REL * Math.abs(mean)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void metricsMatchTrlLogs(String family) {
        FixtureLogps f = FixtureLogps.load(family);
        PairLogps x = logps(f);
        DpoLosses.Output out = DpoLosses.compute(x, DpoConfig.of(f.beta(), LossType.SIGMOID), null, scalars);
        Map<String, Double> m = RewardMetrics.toMap(RewardMetrics.compute(x, out.loss(), f.beta(), scalars)
                .toFloatArray());
        for (String name : List.of("rewards/chosen", "rewards/rejected", "rewards/margins")) {
            // means of beta * differences of float32 log-probs of magnitude ~200: float32 resolution ~1e-6
            assertThat(m.get(name)).as(name).isCloseTo(f.metric(name), within(1e-6));
        }
        assertThat(m.get("rewards/accuracies")).isEqualTo(f.metric("rewards/accuracies"));
        assertThat(m.get("loss")).isCloseTo(f.expectedMean("sigmoid"), within(REL * f.expectedMean("sigmoid")));
        double meanChosen = 0;
        for (float v : f.policyChosen()) {
            meanChosen += v / f.policyChosen().length;
        }
        assertThat(m.get("logps/chosen")).isCloseTo(meanChosen, within(1e-4));
    }

    // ---- variants without fixture values: the formulas evaluated in double precision ----

    private static final float[] PC = {-20.5f, -31.25f, -12.0f};
    private static final float[] PR = {-22.0f, -30.0f, -15.5f};
    private static final float[] RC = {-21.0f, -30.5f, -12.75f};
    private static final float[] RR = {-21.5f, -30.25f, -14.0f};
    private static final float[] NC = {5, 7, 3};
    private static final float[] NR = {6, 7, 4};
    private static final double B = 0.5;

    private PairLogps synthetic() {
        return new PairLogps(manager.create(PC), manager.create(PR), manager.create(RC), manager.create(RR),
                manager.create(NC), manager.create(NR));
    }

    private static double ls(double a) {
        return a > 0 ? -Math.log1p(Math.exp(-a)) : a - Math.log1p(Math.exp(a));
    }

    private static double sig(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    private void assertPerExample(LossType type, DpoConfig config, java.util.function.IntToDoubleFunction expected) {
        float[] got = DpoLosses.compute(synthetic(), config, new RewardBaseline(), scalars).perExample().get(type)
                .toFloatArray();
        for (int i = 0; i < got.length; i++) {
            double e = expected.applyAsDouble(i);
            assertThat((double) got[i]).as("%s example %d", type, i).isCloseTo(e, within(1e-5 * Math.max(1, Math.abs(e))));
        }
    }

    private static double cl(int i) {
        return PC[i] - RC[i];
    }

    private static double rl(int i) {
        return PR[i] - RR[i];
    }

    @Test
    void exoPairApoDownDiscopopFollowTrlFormulas() {
        double e = 0.1;
        assertPerExample(LossType.EXO_PAIR, new DpoConfig(B, e, List.of(LossType.EXO_PAIR), List.of(1.0), 0.05, false), i -> {
            double z = B * (cl(i) - rl(i));
            return sig(z) * (ls(z) - Math.log1p(-e)) + sig(-z) * (ls(-z) - Math.log(e));
        });
        assertPerExample(LossType.APO_DOWN, DpoConfig.of(B, LossType.APO_DOWN),
                i -> sig(B * cl(i)) + 1 - sig(B * (cl(i) - rl(i))));
        DpoConfig disco = new DpoConfig(B, 0, List.of(LossType.DISCOPOP), List.of(1.0), 0.05, false);
        assertPerExample(LossType.DISCOPOP, disco, i -> {
            double z = B * (cl(i) - rl(i));
            double m = sig(z / 0.05);
            return -ls(z) * (1 - m) + Math.exp(-z) * m;
        });
    }

    @Test
    void sftIsTokenMeanNllOfChosen() {
        double nll = -(PC[0] + PC[1] + PC[2]) / (NC[0] + NC[1] + NC[2]);
        assertPerExample(LossType.SFT, DpoConfig.of(B, LossType.SFT), i -> nll);
    }

    @Test
    void bcoPairShiftsByRunningMeanOfBatchRewardMeans() {
        DpoConfig config = DpoConfig.of(B, LossType.BCO_PAIR);
        RewardBaseline baseline = new RewardBaseline();
        try (baseline) {
            double batchMean = 0;
            for (int i = 0; i < 3; i++) {
                batchMean += B * (cl(i) + rl(i)) / 6;
            }
            // first batch: the mean becomes the batch mean
            float[] first = DpoLosses.compute(synthetic(), config, baseline, scalars).perExample()
                    .get(LossType.BCO_PAIR).toFloatArray();
            for (int i = 0; i < 3; i++) {
                double d = batchMean;
                double expected = -ls(B * cl(i) - d) - ls(-(B * rl(i) - d));
                assertThat((double) first[i]).isCloseTo(expected, within(1e-5));
            }
            assertThat((double) baseline.meanValue()).isCloseTo(batchMean, within(1e-6));
            // second batch with rewards shifted: the running mean averages the two batch means
            PairLogps shifted = new PairLogps(manager.create(PC).add(2f), manager.create(PR).add(2f),
                    manager.create(RC), manager.create(RR), manager.create(NC), manager.create(NR));
            DpoLosses.compute(shifted, config, baseline, scalars);
            double second = batchMean + B * 2;
            assertThat((double) baseline.meanValue()).isCloseTo((batchMean + second) / 2, within(1e-5));
            assertThat(baseline.updates()).isEqualTo(2);
        }
    }

    @Test
    void weightedCombinationSumsWeightedMeans() {
        FixtureLogps f = FixtureLogps.load("gpt2");
        DpoConfig config = DpoConfig.of(f.beta(), LossType.SIGMOID)
                .withLosses(List.of(LossType.SIGMOID, LossType.IPO, LossType.SFT), List.of(0.8, 0.2, 1.0));
        NDArray loss = DpoLosses.compute(logps(f), config, null, scalars).loss();
        double nll = 0, tokens = 0;
        for (int i = 0; i < f.policyChosen().length; i++) {
            nll -= f.policyChosen()[i];
            tokens += f.chosenTokens()[i];
        }
        double expected = 0.8 * f.expectedMean("sigmoid") + 0.2 * f.expectedMean("ipo") + nll / tokens;
        assertThat((double) loss.getFloat()).isCloseTo(expected, within(REL * expected));
    }

    @Test
    void wpoWeightsMultiplyEachPairLoss() {
        FixtureLogps f = FixtureLogps.load("llama");
        float[] wc = {0.5f, 1f, 0.25f, 2f};
        float[] wr = {1f, 0.5f, 1f, 1f};
        PairLogps base = logps(f);
        PairLogps x = new PairLogps(base.policyChosen(), base.policyRejected(), base.referenceChosen(),
                base.referenceRejected(), base.chosenTokens(), base.rejectedTokens(),
                manager.create(wc), manager.create(wr));
        NDArray loss = DpoLosses.compute(x, DpoConfig.of(f.beta(), LossType.SIGMOID).withWeighting(true), null,
                scalars).loss();
        double[] per = f.expectedPerExample("sigmoid");
        double expected = 0;
        for (int i = 0; i < per.length; i++) {
            expected += per[i] * wc[i] * wr[i] / per.length;
        }
        assertThat((double) loss.getFloat()).isCloseTo(expected, within(REL * expected));
    }

    @Test
    void configRejectsInvalidSettings() {
        assertThatThrownBy(() -> DpoConfig.of(0, LossType.SIGMOID)).hasMessageContaining("beta");
        assertThatThrownBy(() -> DpoConfig.of(0.1, LossType.EXO_PAIR)).hasMessageContaining("exo_pair");
        assertThatThrownBy(() -> DpoConfig.defaults().withLabelSmoothing(0.5)).hasMessageContaining("label smoothing");
        assertThatThrownBy(() -> DpoConfig.defaults().withLosses(List.of(LossType.SIGMOID, LossType.IPO), List.of(1.0)))
                .hasMessageContaining("must match");
        assertThat(LossType.parse("apo_zero")).isEqualTo(LossType.APO_ZERO);
        assertThatThrownBy(() -> LossType.parse("kto")).hasMessageContaining("unknown DPO loss type");
    }

    @Test
    void sigmoidLossGradientMatchesClosedForm() {
        // d/d pc of -ls(b z) = -b * sigmoid(-b z): checks the loss is differentiable through DJL autograd
        FixtureLogps f = FixtureLogps.load("gpt2");
        PairLogps x = logps(f);
        x.policyChosen().setRequiresGradient(true);
        try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            NDArray loss = DpoLosses.compute(x, DpoConfig.of(f.beta(), LossType.SIGMOID), null, scalars).loss();
            gc.backward(loss);
        }
        float[] grad = x.policyChosen().getGradient().toFloatArray();
        for (int i = 0; i < grad.length; i++) {
            double z = f.beta() * ((f.policyChosen()[i] - f.referenceChosen()[i])
                    - (f.policyRejected()[i] - f.referenceRejected()[i]));
            double expected = -f.beta() * sig(-z) / grad.length;
            assertThat((double) grad[i]).isCloseTo(expected, within(1e-6));
        }
    }
}
