// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>The panel shader compiled for one mode (solid, texture, mapped atlas, channels, text) and its uniforms.</summary>
/// <remarks>A software rasteriser (llvmpipe) runs every branch of a runtime mode switch for every pixel; one program
/// a mode makes a solid fill cost a store, not five texture fetches. Render thread only.</remarks>
internal sealed class PanelProgram : IDisposable
{
    public PanelProgram(GL gl, int mode, bool packed)
    {
        Mode = mode;
        IsPacked = packed;
        Program = new ShaderProgram(gl, "panel.vert", "panel.frag", $"#define MODE {mode}\n#define PACKED {(packed ? 1 : 0)}");
        Rect = Program.Uniform("g_Rect");
        Colour = Program.OptionalUniform("g_Colour");
        UvRect = Program.OptionalUniform("g_UvRect");
        ChannelStep = Program.OptionalUniform("g_ChannelStep");
        SwapRb = Program.OptionalUniform("g_SwapRb");
        TexSize = Program.OptionalUniform("g_TexSize");
        gl.UseProgram(Program.Handle);
        gl.Uniform1(Program.OptionalUniform("m_Texture"), 0);
        gl.Uniform1(Program.OptionalUniform("m_Lut"), 1);
    }

    public int Mode { get; }

    /// <summary>Reads 8-bit values packed four to an RGBA texel.</summary>
    public bool IsPacked { get; }

    public ShaderProgram Program { get; }

    public int Rect { get; }

    public int Colour { get; }

    public int UvRect { get; }

    public int ChannelStep { get; }

    public int SwapRb { get; }

    public int TexSize { get; }

    public void Dispose() => Program.Dispose();
}
