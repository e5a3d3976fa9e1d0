namespace Hip.Inference;

/// <summary>
/// A fixed set of byte strings (enum values, property keys) as a trie. Each string has an index; node 0 is the root.
/// <see cref="ReachesAny"/> tells whether a node still leads to a string whose index lies in a range.
/// </summary>
internal sealed class ByteTrie
{
    private readonly int[] _edgeStart;     // [nodes + 1] edges of node n: _edgeStart[n] .. _edgeStart[n + 1] − 1
    private readonly byte[] _edgeBytes;    // [edges] sorted within a node
    private readonly int[] _edgeTargets;   // [edges]
    private readonly int[] _terminal;      // [nodes] index of the string ending here, or −1
    private readonly ulong[] _reach;       // [nodes * _words] indices of the strings at or below the node
    private readonly int _words;

    private ByteTrie(int[] edgeStart, byte[] edgeBytes, int[] edgeTargets, int[] terminal, ulong[] reach, int words) =>
        (_edgeStart, _edgeBytes, _edgeTargets, _terminal, _reach, _words) = (edgeStart, edgeBytes, edgeTargets, terminal, reach, words);

    public int Count { get; private init; }

    /// <summary>Builds the trie of <paramref name="strings"/>; a string repeated keeps its first index.</summary>
    public static ByteTrie Build(IReadOnlyList<byte[]> strings)
    {
        var children = new List<SortedDictionary<byte, int>> { new() };
        var terminal = new List<int> { -1 };
        for (int i = 0; i < strings.Count; i++)
        {
            int node = 0;
            foreach (byte b in strings[i])
            {
                if (!children[node].TryGetValue(b, out int next))
                {
                    next = children.Count;
                    children[node][b] = next;
                    children.Add(new());
                    terminal.Add(-1);
                }
                node = next;
            }
            if (terminal[node] < 0)
                terminal[node] = i;
        }

        int nodes = children.Count, words = Math.Max(1, (strings.Count + 63) / 64);
        var edgeStart = new int[nodes + 1];
        var edgeBytes = new List<byte>();
        var edgeTargets = new List<int>();
        for (int n = 0; n < nodes; n++)
        {
            edgeStart[n] = edgeBytes.Count;
            foreach (var (b, target) in children[n])
            {
                edgeBytes.Add(b);
                edgeTargets.Add(target);
            }
        }
        edgeStart[nodes] = edgeBytes.Count;
        // children have larger numbers than their parents: fill the reach sets bottom-up
        var reach = new ulong[nodes * words];
        for (int n = nodes - 1; n >= 0; n--)
        {
            if (terminal[n] >= 0)
                reach[n * words + terminal[n] / 64] |= 1UL << (terminal[n] % 64);
            foreach (int child in children[n].Values)
                for (int w = 0; w < words; w++)
                    reach[n * words + w] |= reach[child * words + w];
        }
        return new ByteTrie(edgeStart, [.. edgeBytes], [.. edgeTargets], [.. terminal], reach, words) { Count = strings.Count };
    }

    /// <summary>The node after <paramref name="b"/>, or −1.</summary>
    public int Child(int node, byte b)
    {
        int lo = _edgeStart[node], hi = _edgeStart[node + 1] - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            byte m = _edgeBytes[mid];
            if (m == b)
                return _edgeTargets[mid];
            if (m < b)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        return -1;
    }

    /// <summary>Index of the string that ends at <paramref name="node"/>, or −1.</summary>
    public int Terminal(int node) => _terminal[node];

    public bool HasChildren(int node) => _edgeStart[node + 1] > _edgeStart[node];

    /// <summary>True when a string with index in [<paramref name="from"/>, <paramref name="to"/>] ends at or below <paramref name="node"/>.</summary>
    public bool ReachesAny(int node, int from, int to)
    {
        for (int i = from; i <= to; i++)
            if ((_reach[node * _words + i / 64] & (1UL << (i % 64))) != 0)
                return true;
        return false;
    }
}
