// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.App.Training;

/// <summary>A picture's seed for its augmented views: FNV-1a of its class folder and file name, the same in every
/// process and run (unlike <see cref="HashCode"/>) and wherever the data set lies.</summary>
internal static class StableSeed
{
    public static int Of(string path)
    {
        var key = Path.GetFileName(Path.GetDirectoryName(path)) + "/" + Path.GetFileName(path);
        var h = 2166136261u;
        foreach (var c in key)
        {
            h = unchecked((h ^ c) * 16777619u);
        }

        return unchecked((int)h);
    }
}
