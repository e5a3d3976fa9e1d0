namespace Hip.Inference;

/// <summary>
/// A few KV caches ("slots"), each remembering the token ids whose keys and values it holds. A request continues the
/// slot sharing its longest prefix (the previous turn of a conversation, a common system prompt) and prefills only the
/// rest; a prefix shared with a slot that has since diverged is copied on the device into the least recently used slot,
/// so the other conversation keeps its cache. Slots belong to one engine, so KV computed under another model or other
/// attention settings is never served.
/// </summary>
internal sealed class PrefixCache : IDisposable
{
    internal sealed class Slot(KvCache cache)
    {
        public KvCache Cache { get; } = cache;
        public List<int> Tokens { get; } = [];   // ids of positions 0 .. Cache.Length − 1
        public long LastUse { get; set; }
    }

    private readonly Slot[] _slots;
    private long _clock;

    public PrefixCache(ILanguageModel model, int capacity, int slots)
    {
        _slots = new Slot[slots];
        try
        {
            for (int i = 0; i < slots; i++)
                _slots[i] = new Slot(model.CreateCache(capacity));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public long SizeInBytes => _slots.Sum(s => s?.Cache.SizeInBytes ?? 0);

    /// <summary>A slot whose cache holds the longest reusable prefix of <paramref name="prompt"/> (at most all but its last token).</summary>
    public Slot Acquire(ReadOnlySpan<int> prompt, out int reused)
    {
        Slot best = _slots[0];
        int bestLength = -1;
        foreach (var slot in _slots)
        {
            int length = CommonPrefix(slot.Tokens, prompt);
            if (length > bestLength || (length == bestLength && slot.LastUse < best.LastUse))
                (best, bestLength) = (slot, length);
        }
        reused = Math.Min(bestLength, prompt.Length - 1);   // the last prompt token is always forwarded: it gives the logits
        var target = best;
        if (best.Tokens.Count > reused && _slots.Length > 1)
        {
            // the best slot's own sequence continues differently: keep it, start from the least recently used other slot
            target = _slots.Where(s => s != best).MinBy(s => s.LastUse)!;
            if (reused > 0)
                target.Cache.CopyPrefixFrom(best.Cache, reused);
        }
        target.Cache.Length = reused;
        if (target != best || target.Tokens.Count > reused)
        {
            target.Tokens.Clear();
            target.Tokens.AddRange(prompt[..reused]);
        }
        target.LastUse = ++_clock;
        return target;
    }

    private static int CommonPrefix(List<int> cached, ReadOnlySpan<int> prompt)
    {
        int n = Math.Min(cached.Count, prompt.Length), i = 0;
        while (i < n && cached[i] == prompt[i])
            i++;
        return i;
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
            slot?.Cache.Dispose();
    }
}
