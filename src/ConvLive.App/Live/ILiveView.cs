// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render;

namespace ConvLive.App.Live;

/// <summary>Text lines the render loop refreshes a few times a second (so drawing them allocates nothing).</summary>
internal sealed class StatusText
{
    public string Rates { get; set; } = string.Empty;

    public string Latency { get; set; } = string.Empty;

    public string Device { get; set; } = string.Empty;

    public string Source { get; set; } = string.Empty;

    public string? Problem { get; set; }

    public bool Frozen { get; set; }
}

/// <summary>A way of showing frames: the edge view or the model view. Render thread only.</summary>
internal interface ILiveView : IDisposable
{
    /// <summary>Uploads what <paramref name="result"/> needs shown; false while the upload budget holds some back.</summary>
    bool TryUpload(FrameResult result);

    /// <summary>Draws the view into the current frame.</summary>
    void Draw(FrameResult result, StatusText status);

    /// <summary>Handles a key; true when the view used it.</summary>
    bool OnKey(KeyPress key);

    /// <summary>Handles a click; true when the view used it.</summary>
    bool OnClick(MouseClick click);

    /// <summary>What the last click showed (a receptive field), or empty.</summary>
    string ClickInfo { get; }

    /// <summary>How many layers the view taps (0 for the edge view).</summary>
    int TappedLayers { get; }

    /// <summary>The selected layer, channel and colormap, for stats and tests; null where there is no selection.</summary>
    (string Layer, string Label, int Channel, string Colormap)? Selection { get; }
}
