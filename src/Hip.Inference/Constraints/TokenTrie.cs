namespace Hip.Inference;

/// <summary>
/// Token texts as a byte trie, so one walk checks every token: a subtree is skipped as soon as the grammar rejects
/// its prefix. Node 0 is the root; a token sits at the node its last byte reaches.
/// </summary>
internal sealed class TokenTrie
{
    private readonly int[] _edgeStart;    // [nodes + 1] edges of node n: _edgeStart[n] .. _edgeStart[n + 1] − 1
    private readonly byte[] _edgeBytes;   // [edges]
    private readonly int[] _edgeTargets;  // [edges]
    private readonly int[] _tokenStart;   // [nodes + 1] tokens ending at node n: _tokenStart[n] .. _tokenStart[n + 1] − 1
    private readonly int[] _tokens;       // [tokens]

    private TokenTrie(int[] edgeStart, byte[] edgeBytes, int[] edgeTargets, int[] tokenStart, int[] tokens) =>
        (_edgeStart, _edgeBytes, _edgeTargets, _tokenStart, _tokens) = (edgeStart, edgeBytes, edgeTargets, tokenStart, tokens);

    public int NodeCount => _edgeStart.Length - 1;

    public static TokenTrie Build(IEnumerable<(int Id, byte[] Bytes)> tokens)
    {
        var children = new List<Dictionary<byte, int>> { new() };
        var ending = new List<List<int>?> { null };
        foreach (var (id, bytes) in tokens)
        {
            int node = 0;
            foreach (byte b in bytes)
            {
                if (!children[node].TryGetValue(b, out int next))
                {
                    next = children.Count;
                    children[node][b] = next;
                    children.Add([]);
                    ending.Add(null);
                }
                node = next;
            }
            (ending[node] ??= []).Add(id);
        }
        int nodes = children.Count;
        var edgeStart = new int[nodes + 1];
        var tokenStart = new int[nodes + 1];
        var edgeBytes = new List<byte>();
        var edgeTargets = new List<int>();
        var ids = new List<int>();
        for (int n = 0; n < nodes; n++)
        {
            edgeStart[n] = edgeBytes.Count;
            foreach (var (b, target) in children[n].OrderBy(e => e.Key))
            {
                edgeBytes.Add(b);
                edgeTargets.Add(target);
            }
            tokenStart[n] = ids.Count;
            if (ending[n] is { } list)
                ids.AddRange(list);
        }
        edgeStart[nodes] = edgeBytes.Count;
        tokenStart[nodes] = ids.Count;
        return new TokenTrie(edgeStart, [.. edgeBytes], [.. edgeTargets], tokenStart, [.. ids]);
    }

    public ReadOnlySpan<int> TokensAt(int node) => _tokens.AsSpan(_tokenStart[node], _tokenStart[node + 1] - _tokenStart[node]);

    public int EdgeStart(int node) => _edgeStart[node];
    public int EdgeEnd(int node) => _edgeStart[node + 1];
    public byte EdgeByte(int edge) => _edgeBytes[edge];
    public int EdgeTarget(int edge) => _edgeTargets[edge];
}
