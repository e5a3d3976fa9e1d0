/// <summary>A loaded text file: its path relative to the folder ('/'-separated) and its text.</summary>
internal sealed record SourceFile(string RelativePath, string Text);
