package dev.prefstream.trainer.model;

/**
 * The model's own names for its parts (in the spirit of LitGPT's module names), independent of how any checkpoint
 * names them: the forward pass ({@link DecoderModel}) and the layout ({@link WeightLayout}) speak only of parts, and
 * each family's {@link TensorNames} says which Hugging Face tensor holds which part. Every part is a module with a
 * {@code weight} and, where the config gives it one, a {@code bias}. Which parts a model has follows from its
 * capabilities ({@link WeightLayout#has}).
 */
public enum Part {
    /** Token embedding [vocab, word_embed_proj_dim]; also the head when the head is tied. */
    TOKEN_EMBEDDING(false, Kind.EMBEDDING),
    /** Learned position embedding [max_positions + offset, hidden] (only with learned positions). */
    POSITION_EMBEDDING(false, Kind.EMBEDDING),
    /** Projection from the embedding width up to the hidden size (only when they differ). */
    PROJECT_IN(false, Kind.LINEAR),
    /** Projection from the hidden size back down to the embedding width (only when they differ). */
    PROJECT_OUT(false, Kind.LINEAR),
    /** The norm after the last block (only when the model has one). */
    FINAL_NORM(false, Kind.NORM),
    /** The output head [vocab, word_embed_proj_dim] (only when not tied to the token embedding). */
    LM_HEAD(false, Kind.EMBEDDING),

    /** The norm in front of attention (post-LN blocks: after the attention's residual add). */
    ATTN_NORM(true, Kind.NORM),
    /** Fused query/key/value projection (only with a fused {@link ModelConfig.QkvLayout}). */
    QKV(true, Kind.BLOCK_PROJECTION),
    /** Query projection (separate q/k/v layout). */
    Q(true, Kind.BLOCK_PROJECTION),
    /** Key projection (separate q/k/v layout). */
    K(true, Kind.BLOCK_PROJECTION),
    /** Value projection (separate q/k/v layout). */
    V(true, Kind.BLOCK_PROJECTION),
    /** Per-head RMSNorm of the queries over head_dim, before RoPE. */
    Q_NORM(true, Kind.NORM),
    /** Per-head RMSNorm of the keys over head_dim, before RoPE. */
    K_NORM(true, Kind.NORM),
    /** Attention output projection. */
    ATTN_OUT(true, Kind.BLOCK_PROJECTION),
    /** Sandwich norm of the attention output, before its residual add. */
    POST_ATTN_NORM(true, Kind.NORM),
    /** The norm in front of the MLP (post-LN blocks: after the MLP's residual add). */
    MLP_NORM(true, Kind.NORM),
    /** Gate projection of a gated MLP: act(gate(x)) * up(x). */
    MLP_GATE(true, Kind.BLOCK_PROJECTION),
    /** The MLP's widening projection (the "up" of a gated MLP, the first layer of a plain one). */
    MLP_UP(true, Kind.BLOCK_PROJECTION),
    /** The MLP's narrowing projection. */
    MLP_DOWN(true, Kind.BLOCK_PROJECTION),
    /** Sandwich norm of the MLP output, before its residual add. */
    POST_MLP_NORM(true, Kind.NORM);

    private enum Kind { EMBEDDING, LINEAR, NORM, BLOCK_PROJECTION }

    private final boolean perLayer;
    private final Kind kind;

    Part(boolean perLayer, Kind kind) {
        this.perLayer = perLayer;
        this.kind = kind;
    }

    /** One per decoder block (else one per model). */
    public boolean perLayer() {
        return perLayer;
    }

    /** A normalisation's scale (and shift). */
    public boolean isNorm() {
        return kind == Kind.NORM;
    }

    /** An attention or MLP projection of a block: what LoRA adapters may wrap. */
    public boolean isBlockProjection() {
        return kind == Kind.BLOCK_PROJECTION;
    }
}
