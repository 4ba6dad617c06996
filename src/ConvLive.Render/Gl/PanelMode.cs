// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render.Gl;

/// <summary>What a panel's fragment shader does: one program is compiled per mode (the <c>MODE</c> define of
/// shaders/panel.frag), so a software rasteriser never runs another mode's branch.</summary>
internal enum PanelMode
{
    /// <summary>A solid colour.</summary>
    Fill = 0,

    /// <summary>A texture, tinted.</summary>
    Texture = 1,

    /// <summary>An 8-bit texture through a 256-entry colormap.</summary>
    Mapped = 2,

    /// <summary>Three 8-bit tiles as the R, G and B of one image.</summary>
    Channels = 3,

    /// <summary>Coverage as alpha in a colour (text).</summary>
    Coverage = 4,
}
