namespace Hip.Bench;

/// <summary>The shape of one attention layer: context length, query heads, KV heads, head dimension.</summary>
public sealed record AttentionShape(int Context, int Heads, int KvHeads, int HeadDim);

/// <summary>
/// One layer's inputs. Q: [queries, heads·headDim] for positions FirstQueryPosition ..; K, V: [kvHeads, context, headDim]
/// (keys as the model would cache them, RoPE already applied).
/// </summary>
public sealed record AttentionLayerData(float[] Q, float[] K, float[] V, int FirstQueryPosition);

/// <summary>A source of attention layers for the quality benchmark (synthetic generators, or <see cref="ModelDataset"/>: one layer of a real model).</summary>
public interface IAttentionDataset
{
    string Name { get; }

    /// <summary>Q for the last <paramref name="queries"/> positions of the context, and the whole K and V.</summary>
    AttentionLayerData Create(AttentionShape shape, int queries, int seed);
}
