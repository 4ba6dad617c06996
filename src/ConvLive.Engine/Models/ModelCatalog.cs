// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Engine.Models;

/// <summary>
/// The models ConvLive knows: manifests from the models folders, searched in order: the app's own models folder
/// (manifests, labels and the ResNet-18 files the build copies), then the user's data folder, where
/// <c>models get</c> puts downloads.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>Creates a catalog over <paramref name="folders"/>, searched in order.</summary>
    /// <param name="folders">Models folders.</param>
    public ModelCatalog(IReadOnlyList<string> folders)
    {
        Folders = folders;
        Manifests = folders.Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*.json"))
            .Select(ModelManifest.Read)
            .GroupBy(m => m.Name, StringComparer.Ordinal)
            .Select(g => g.First())
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The folders searched, in order.</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>Every manifest found, by name.</summary>
    public IReadOnlyList<ModelManifest> Manifests { get; }

    /// <summary>The user's models folder when none is given: $XDG_DATA_HOME/convlive/models, else ~/.local/share/convlive/models.</summary>
    public static string DefaultUserFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "convlive", "models");

    /// <summary>The catalog of the models folder beside the app, then <paramref name="userFolder"/>.</summary>
    /// <param name="userFolder">The user's models folder (the app fills it from <c>CONVLIVE_MODELS</c> at its edge).</param>
    /// <returns>The catalog.</returns>
    public static ModelCatalog Default(string userFolder) => new([Path.Combine(AppContext.BaseDirectory, "models"), userFolder]);

    /// <summary>The manifest named <paramref name="name"/>, or null.</summary>
    /// <param name="name">A manifest name.</param>
    /// <returns>The manifest or null.</returns>
    public ModelManifest? Find(string name) => Manifests.FirstOrDefault(m => m.Name == name);

    /// <summary>Where a file of a manifest is, searching every folder; null when absent.</summary>
    /// <param name="relative">A path from a manifest (file, preprocess, labels).</param>
    /// <returns>The full path or null.</returns>
    public string? Locate(string relative) =>
        Folders.Select(f => Path.Combine(f, relative)).FirstOrDefault(File.Exists);

    /// <summary>The backbone <paramref name="requested"/> names, or without a name the default: AlexNet when its weights
    /// are here, else the ResNet-18 features that ship with the build (<paramref name="fellBack"/> says so). The one
    /// place <c>live</c> and <c>train</c> choose it.</summary>
    /// <param name="requested">A manifest name, or null.</param>
    /// <param name="fellBack">True when AlexNet was wanted by default but its weights are missing.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="Graph.ModelException">No such manifest, or no backbone at all.</exception>
    public ModelManifest Backbone(string? requested, out bool fellBack)
    {
        fellBack = false;
        if (requested is not null)
        {
            return Find(requested) ?? throw new Graph.ModelException($"--backbone {requested}: no such model; known: {string.Join(", ", Manifests.Select(m => m.Name))}");
        }

        var alexnet = Find("alexnet");
        if (alexnet is not null && Locate(alexnet.File) is not null)
        {
            return alexnet;
        }

        fellBack = true;
        return Find("resnet18-features") ?? throw new Graph.ModelException("no backbone: neither AlexNet's weights nor the ResNet-18 features model are installed");
    }
}
