using System.Text;

namespace Hip.Inference;

/// <summary>
/// Reads the parts of a SentencePiece ModelProto (sentencepiece_model.proto) a BPE tokenizer needs: pieces with score
/// and type, the trainer's special ids and model type, and the normalizer's whitespace flags. A hand-written protobuf
/// reader, so that every malformed file ends in one <see cref="InvalidDataException"/> naming the file and the offset.
/// </summary>
internal static class SentencePieceModelReader
{
    // ModelProto fields
    private const int PiecesField = 1, TrainerSpecField = 2, NormalizerSpecField = 3;
    // ModelProto.SentencePiece fields
    private const int PieceField = 1, ScoreField = 2, TypeField = 3;
    // TrainerSpec fields
    private const int ModelTypeField = 3, UnknownIdField = 40, BosIdField = 41, EosIdField = 42, PadIdField = 43;
    // NormalizerSpec fields
    private const int AddDummyPrefixField = 3, RemoveExtraWhitespacesField = 4, EscapeWhitespacesField = 5;
    // protobuf wire types
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    /// <summary>The model type SentencePiece calls BPE (the default, unigram, is 1).</summary>
    public const int ModelTypeBpe = 2;

    /// <summary>What a .model file holds; ids are as written (the vocabulary checks their range).</summary>
    public sealed record Contents(
        string[] Pieces, float[] Scores, int[] Types, int ModelType, int UnknownId, int BosId, int EosId, int PadId,
        bool AddDummyPrefix, bool RemoveExtraWhitespaces, bool EscapeWhitespaces);

    /// <summary>Parses <paramref name="data"/>; <paramref name="source"/> names the file in messages.</summary>
    public static Contents Read(ReadOnlySpan<byte> data, string source)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<int>();
        int modelType = 1, unknownId = 0, bosId = 1, eosId = 2, padId = -1;   // proto defaults
        bool addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;

        var model = new Reader(data, 0, source);
        while (!model.AtEnd)
        {
            var (field, wire) = model.Tag();
            if (field == PiecesField && wire == LengthDelimited)
            {
                var piece = model.Message();
                string text = "";
                float score = 0;
                int type = (int)TokenType.Normal;
                while (!piece.AtEnd)
                {
                    var (f, w) = piece.Tag();
                    if (f == PieceField && w == LengthDelimited) text = piece.String();
                    else if (f == ScoreField && w == Fixed32) score = piece.Float();
                    else if (f == TypeField && w == Varint) type = piece.Int32();
                    else piece.Skip(w);
                }
                pieces.Add(text);
                scores.Add(score);
                types.Add(type);
            }
            else if (field == TrainerSpecField && wire == LengthDelimited)
            {
                var trainer = model.Message();
                while (!trainer.AtEnd)
                {
                    var (f, w) = trainer.Tag();
                    if (w != Varint) { trainer.Skip(w); continue; }
                    switch (f)
                    {
                        case ModelTypeField: modelType = trainer.Int32(); break;
                        case UnknownIdField: unknownId = trainer.Int32(); break;
                        case BosIdField: bosId = trainer.Int32(); break;
                        case EosIdField: eosId = trainer.Int32(); break;
                        case PadIdField: padId = trainer.Int32(); break;
                        default: trainer.Skip(w); break;
                    }
                }
            }
            else if (field == NormalizerSpecField && wire == LengthDelimited)
            {
                var normalizer = model.Message();
                while (!normalizer.AtEnd)
                {
                    var (f, w) = normalizer.Tag();
                    if (w != Varint) { normalizer.Skip(w); continue; }
                    switch (f)
                    {
                        case AddDummyPrefixField: addDummyPrefix = normalizer.Int32() != 0; break;
                        case RemoveExtraWhitespacesField: removeExtraWhitespaces = normalizer.Int32() != 0; break;
                        case EscapeWhitespacesField: escapeWhitespaces = normalizer.Int32() != 0; break;
                        default: normalizer.Skip(w); break;
                    }
                }
            }
            else
            {
                model.Skip(wire);
            }
        }
        return new Contents([.. pieces], [.. scores], [.. types], modelType, unknownId, bosId, eosId, padId,
            addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces);
    }

    /// <summary>A cursor over one protobuf message.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, int baseOffset, string source)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        public (int Field, int Wire) Tag()
        {
            int at = _position;
            ulong tag = ReadVarint();
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (field == 0 || tag >> 3 > int.MaxValue || wire is not (Varint or Fixed64 or LengthDelimited or Fixed32))
                throw Bad(at, $"field tag {tag} (field {tag >> 3}, wire type {wire}), expected a field number above 0 and wire type 0, 1, 2 or 5");
            return (field, wire);
        }

        public Reader Message()
        {
            int length = Length();
            var inner = new Reader(_data.Slice(_position, length), baseOffset + _position, source);
            _position += length;
            return inner;
        }

        public string String()
        {
            int at = _position;
            int length = Length();
            var bytes = _data.Slice(_position, length);
            _position += length;
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Bad(at, "a piece that is not valid UTF-8");
            }
        }

        public float Float()
        {
            if (_data.Length - _position < 4)
                throw Bad(_position, "a 4-byte float cut off by the end of its message");
            float value = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(_data[_position..]));
            _position += 4;
            return value;
        }

        public int Int32() => unchecked((int)ReadVarint());

        public void Skip(int wire)
        {
            int at = _position;
            int size = wire switch
            {
                Varint => -1,
                Fixed64 => 8,
                Fixed32 => 4,
                _ => Length(),
            };
            if (size < 0)
            {
                ReadVarint();
                return;
            }
            if (_data.Length - _position < size)
                throw Bad(at, $"a {size}-byte field cut off by the end of its message");
            _position += size;
        }

        private int Length()
        {
            int at = _position;
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _position))
                throw Bad(at, $"a length of {length} bytes where only {_data.Length - _position} remain");
            return (int)length;
        }

        private ulong ReadVarint()
        {
            int at = _position;
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                    throw Bad(at, "a varint cut off by the end of its message");
                byte b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value;
            }
            throw Bad(at, "a varint longer than 10 bytes");
        }

        private readonly InvalidDataException Bad(int at, string what) =>
            new($"{source}: not a valid SentencePiece model: at byte {baseOffset + at} found {what}.");
    }
}
