// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>A unit quad (0..1)² as a triangle strip in one vertex array.</summary>
/// <remarks>Owns its VAO and VBO. Render thread only; Dispose is idempotent.</remarks>
internal sealed class QuadMesh : IDisposable
{
    private readonly GL _gl;
    private readonly uint _vao;
    private readonly uint _vbo;
    private bool _disposed;

    public unsafe QuadMesh(GL gl)
    {
        _gl = gl;
        _vao = gl.GenVertexArray();
        GlObjects.Created();
        _vbo = gl.GenBuffer();
        GlObjects.Created();
        gl.BindVertexArray(_vao);
        gl.BindBuffer(BufferTargetARB.ArrayBuffer, _vbo);
        ReadOnlySpan<float> corners = [0, 0, 1, 0, 0, 1, 1, 1];
        gl.BufferData(BufferTargetARB.ArrayBuffer, corners, BufferUsageARB.StaticDraw);
        gl.EnableVertexAttribArray(0);
        gl.VertexAttribPointer(0, 2, VertexAttribPointerType.Float, false, 2 * sizeof(float), null);
        gl.BindVertexArray(0);
    }

    public void Draw()
    {
        _gl.BindVertexArray(_vao);
        _gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _gl.DeleteBuffer(_vbo);
            GlObjects.Deleted();
            _gl.DeleteVertexArray(_vao);
            GlObjects.Deleted();
        }
    }
}
