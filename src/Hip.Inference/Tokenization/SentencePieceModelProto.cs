using Google.Protobuf;

namespace Hip.Inference;

/// <summary>
/// Writes a SentencePiece ModelProto (sentencepiece_model.proto) for a BPE vocabulary with byte fallback, so that
/// Microsoft.ML.Tokenizers can run a vocabulary that a GGUF file stores as token/score/type arrays.
/// </summary>
internal static class SentencePieceModelProto
{
    // ModelProto fields
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;
    // ModelProto.SentencePiece fields
    private const int PieceField = 1, ScoreField = 2, TypeField = 3;
    // TrainerSpec fields
    private const int ModelTypeField = 3, VocabSizeField = 4, ByteFallbackField = 35;
    private const int UnkIdField = 40, BosIdField = 41, EosIdField = 42, PadIdField = 43;
    private const int UnkPieceField = 45, BosPieceField = 46, EosPieceField = 47;
    // NormalizerSpec fields
    private const int NameField = 1, AddDummyPrefixField = 3, RemoveExtraWhitespacesField = 4, EscapeWhitespacesField = 5;

    private const int ModelTypeBpe = 2;

    /// <summary>SentencePiece piece types; GGUF tokenizer.ggml.token_type uses the same numbers.</summary>
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>The serialized ModelProto; <paramref name="types"/> holds the numbers above; pad id -1 means none.</summary>
    public static byte[] Build(
        IReadOnlyList<string> pieces, IReadOnlyList<float> scores, IReadOnlyList<int> types,
        int unkId, int bosId, int eosId, int padId, bool addDummyPrefix)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        bool hasBytes = false;
        for (int i = 0; i < pieces.Count; i++)
        {
            hasBytes |= types[i] == Byte;
            // one SentencePiece message, written in place (its three tags take one byte each)
            int size = 1 + CodedOutputStream.ComputeStringSize(pieces[i]) + 1 + 4 + 1 + CodedOutputStream.ComputeEnumSize(types[i]);
            output.WriteTag(PiecesField, WireFormat.WireType.LengthDelimited);
            output.WriteLength(size);
            output.WriteTag(PieceField, WireFormat.WireType.LengthDelimited);
            output.WriteString(pieces[i]);
            output.WriteTag(ScoreField, WireFormat.WireType.Fixed32);
            output.WriteFloat(scores[i]);
            output.WriteTag(TypeField, WireFormat.WireType.Varint);
            output.WriteEnum(types[i]);
        }
        WriteMessage(output, TrainerSpecField, trainer =>
        {
            WriteInt(trainer, ModelTypeField, ModelTypeBpe);
            WriteInt(trainer, VocabSizeField, pieces.Count);
            WriteInt(trainer, ByteFallbackField, hasBytes ? 1 : 0);
            WriteInt(trainer, UnkIdField, unkId);
            WriteInt(trainer, BosIdField, bosId);
            WriteInt(trainer, EosIdField, eosId);
            WriteInt(trainer, PadIdField, padId);
            WriteString(trainer, UnkPieceField, pieces[unkId]);
            WriteString(trainer, BosPieceField, pieces[bosId]);
            WriteString(trainer, EosPieceField, pieces[eosId]);
        });
        WriteMessage(output, NormalizerSpecField, normalizer =>
        {
            WriteString(normalizer, NameField, "identity");
            WriteInt(normalizer, AddDummyPrefixField, addDummyPrefix ? 1 : 0);
            WriteInt(normalizer, RemoveExtraWhitespacesField, 0);
            WriteInt(normalizer, EscapeWhitespacesField, 1);
        });
        output.Flush();
        return buffer.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        write(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteInt(CodedOutputStream output, int field, int value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt32(value);
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }
}
