package dev.prefstream.trainer.dpo;

import ai.djl.Device;

import java.util.Locale;

/**
 * Where a full fine-tuning run keeps its frozen reference weights between the forward passes that need them.
 *
 * <p>DEVICE is the default: a streaming trainer sees new pairs in every micro-batch, so (unless a pair repeats and
 * its log-probs are cached) every step runs a reference forward, and the weights are best already where it runs;
 * on the CPU there is nowhere else to put them. HOST is for an accelerator whose memory is the limit: the weights
 * stay in host memory and are copied to the device for each forward the cache does not serve, then freed, so the
 * device holds one model's weights less (16 GB for an 8B model in float16) at the price of one host-to-device
 * copy of the weights per such step (about 0.6 s for 16 GB over PCIe 4.0 x16). On a CPU device both are the same.
 * With LoRA there is no reference copy to place: the reference is the policy's own base with the adapters off.
 */
public enum ReferencePlacement {
    /** On the training device for the whole run. */
    DEVICE,
    /** In host memory, staged onto the training device for each reference forward. */
    HOST;

    /** Where the reference's weights live when training on {@code trainingDevice}. */
    public Device weightsDevice(Device trainingDevice) {
        return this == HOST ? Device.cpu() : trainingDevice;
    }

    /** Parses "device" or "host". */
    public static ReferencePlacement parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown reference placement '" + s + "', expected device or host");
        }
    }
}
