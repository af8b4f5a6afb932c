/**
 * {@code prefstream demo}: the closed continuous-alignment loop on the embedded stack, in one process.
 *
 * <ul>
 *   <li>{@link dev.prefstream.cli.demo.LetterCountTask} / {@link dev.prefstream.cli.demo.LetterCountJudge}: the
 *       synthetic task ("Write the letter k exactly 5 times.") and its programmatic judge (graded reward in [0, 1]:
 *       share of right letters x length score), the AI judge of RLAIF. Combinations are split once into prompts
 *       users ask and held-out prompts the evaluation uses.</li>
 *   <li>{@link dev.prefstream.cli.demo.BasePolicy}: the built-in tiny model after a short SFT on deliberately sloppy
 *       demonstrations (right format, imprecise), cached under {@code DATA/base-policy}.</li>
 *   <li>{@link dev.prefstream.cli.demo.ChatSimulator}: production chat. Samples answers from the newest PROMOTED
 *       checkpoint (hot-swapped via the publisher's CheckpointFollower) and sends real PreferenceEvents: AI-judge
 *       ratings of every answer, human thumbs (noisy, late, sometimes duplicated), A/B comparisons, rankings, and a
 *       little garbage for the dead-letter topic.</li>
 *   <li>{@link dev.prefstream.cli.demo.DemoRunner}: wires broker, registry, ingest, streaming trainer, in-process
 *       publisher, follower and simulator with the services' own classes; stops them in reverse order.</li>
 *   <li>{@link dev.prefstream.cli.demo.JudgeEvaluator}, {@link dev.prefstream.cli.demo.DemoReport},
 *       {@link dev.prefstream.cli.demo.LinePlot}, {@link dev.prefstream.cli.demo.DemoView}: measurement on held-out
 *       prompts (judge reward of sampled answers, KL from the base), the report (summary.json, summary.txt, PNG
 *       plots drawn with Java2D) and the live terminal view.</li>
 * </ul>
 */
package dev.prefstream.cli.demo;
