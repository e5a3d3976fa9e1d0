namespace Hip.Inference;

/// <summary>
/// Host-side sampling over one logits row: penalties, temperature, top-k, top-p, min-p, then a draw.
/// Buffers are allocated once per vocabulary; a call allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly float[] _keys;     // negated scaled logits, sorted ascending = most likely first
    private readonly int[] _ids;
    private readonly int[] _counts;     // occurrences of each token in the output so far
    private readonly List<int> _seen = [];

    public Sampler(int vocabSize)
    {
        _keys = new float[vocabSize];
        _ids = new int[vocabSize];
        _counts = new int[vocabSize];
    }

    /// <summary>Forgets the output history used by the penalties.</summary>
    public void Reset()
    {
        foreach (int id in _seen)
            _counts[id] = 0;
        _seen.Clear();
    }

    /// <summary>Records an emitted token for the frequency and presence penalties.</summary>
    public void Accept(int id)
    {
        if (_counts[id]++ == 0)
            _seen.Add(id);
    }

    /// <summary>Picks the next token from <paramref name="logits"/> (modified in place by penalties).</summary>
    /// <exception cref="NonFiniteLogitsException">The row holds a NaN or +∞, or only -∞.</exception>
    public int Sample(Span<float> logits, SamplingParams p, Random random) => Sample(logits, p, random, position: null);

    /// <summary>
    /// As the other overload; <paramref name="position"/> (the sequence position whose next token this is) goes into the
    /// error when the logits are not finite.
    /// </summary>
    public int Sample(Span<float> logits, SamplingParams p, Random random, int? position)
    {
        NonFiniteLogitsException.ThrowIfNotSamplable(logits, position);   // before the constraint adds its own -∞
        foreach (int id in _seen)
            logits[id] -= p.FrequencyPenalty * _counts[id] + p.PresencePenalty;
        if (p.Constraint is { } constraint)
        {
            constraint.Apply(logits);
            if (float.IsNegativeInfinity(logits[Hip.Kernels.ArgMax.Reference(logits)]))
                throw new InvalidOperationException("The token constraint allows no next token: the grammar and the vocabulary do not fit together.");
        }
        if (p.IsGreedy)   // also every temperature below SamplingParams.GreedyBelowTemperature
            return Hip.Kernels.ArgMax.Reference(logits);

        // scale after subtracting the maximum: (logit - max) / T is ≤ 0 and never overflows to +∞ or NaN, however small T
        int n = logits.Length;
        float max = logits[Hip.Kernels.ArgMax.Reference(logits)];
        float inverseTemperature = 1f / p.Temperature;
        for (int i = 0; i < n; i++)
        {
            _keys[i] = -((logits[i] - max) * inverseTemperature);   // ≥ 0; +∞ for a ruled-out token
            _ids[i] = i;
        }
        Array.Sort(_keys, _ids, 0, n);   // most likely first; equal logits keep no particular order, ids break ties below
        int count = p.TopK > 0 ? Math.Min(p.TopK, n) : n;

        // softmax over the kept candidates: keys are already shifted so the most likely is 0, exp never overflows
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            if (float.IsPositiveInfinity(_keys[i]))   // a token the constraint ruled out: it and all after it
            {
                count = i;
                break;
            }
            float prob = MathF.Exp(-_keys[i]);
            _keys[i] = prob;
            sum += prob;
        }
        // min-p: relative to the most likely token (prob 1 before normalising)
        if (p.MinP > 0f)
        {
            int kept = 1;
            while (kept < count && _keys[kept] >= p.MinP)
                kept++;
            for (int i = kept; i < count; i++)
                sum -= _keys[i];
            count = kept;
        }
        // top-p: the smallest prefix reaching P of the mass
        if (p.TopP < 1f)
        {
            double target = p.TopP * sum, running = 0;
            int kept = 0;
            while (kept < count && running < target)
                running += _keys[kept++];
            count = Math.Max(kept, 1);
            sum = running > 0 ? running : _keys[0];
        }
        double draw = random.NextDouble() * sum;
        for (int i = 0; i < count; i++)
        {
            draw -= _keys[i];
            if (draw < 0)
                return _ids[i];
        }
        return _ids[count - 1];
    }
}
