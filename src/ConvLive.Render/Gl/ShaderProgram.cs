// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using System.Reflection;
using Silk.NET.OpenGL;

namespace ConvLive.Render.Gl;

/// <summary>A linked GLSL program built from shaders embedded in this assembly; uniforms looked up once.</summary>
/// <remarks>Owns the program handle. Render thread only; Dispose is idempotent.</remarks>
internal sealed class ShaderProgram : IDisposable
{
    private readonly GL _gl;
    private bool _disposed;

    public ShaderProgram(GL gl, string vertexResource, string fragmentResource, string? fragmentDefines = null)
    {
        _gl = gl;
        var vs = Compile(ShaderType.VertexShader, vertexResource, null);
        var fs = Compile(ShaderType.FragmentShader, fragmentResource, fragmentDefines);
        Handle = gl.CreateProgram();
        GlObjects.Created();
        gl.AttachShader(Handle, vs);
        gl.AttachShader(Handle, fs);
        gl.LinkProgram(Handle);
        gl.DetachShader(Handle, vs);
        gl.DetachShader(Handle, fs);
        gl.DeleteShader(vs);
        gl.DeleteShader(fs);
        gl.GetProgram(Handle, ProgramPropertyARB.LinkStatus, out var linked);
        if (linked == 0)
        {
            var log = gl.GetProgramInfoLog(Handle);
            gl.DeleteProgram(Handle);
            GlObjects.Deleted();
            throw new RenderException($"shaders {vertexResource} + {fragmentResource} did not link: {log.Trim()}");
        }
    }

    public uint Handle { get; }

    /// <summary>The location of a uniform the shader must declare; call once, at setup.</summary>
    public int Uniform(string name)
    {
        var location = _gl.GetUniformLocation(Handle, name);
        return location >= 0 ? location : throw new RenderException($"shader program has no active uniform '{name}'");
    }

    /// <summary>The location of a uniform the compiler may have removed in this variant (-1: setting it is a no-op).</summary>
    public int OptionalUniform(string name) => _gl.GetUniformLocation(Handle, name);

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _gl.DeleteProgram(Handle);
            GlObjects.Deleted();
        }
    }

    internal static string ReadResource(string name)
    {
        var fullName = "ConvLive.Shaders." + name;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(fullName)
            ?? throw new RenderException($"shader {name} is not embedded in ConvLive.Render (expected resource {fullName}); rebuild.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private uint Compile(ShaderType type, string resource, string? defines)
    {
        var shader = _gl.CreateShader(type);
        var source = ReadResource(resource);
        if (defines is not null)
        {
            // After the #version line, which must come first.
            var end = source.IndexOf('\n', StringComparison.Ordinal) + 1;
            source = source[..end] + defines + "\n" + source[end..];
        }

        _gl.ShaderSource(shader, source);
        _gl.CompileShader(shader);
        _gl.GetShader(shader, ShaderParameterName.CompileStatus, out var ok);
        if (ok == 0)
        {
            var log = _gl.GetShaderInfoLog(shader);
            _gl.DeleteShader(shader);
            throw new RenderException($"shader {resource} did not compile: {log.Trim()}");
        }

        return shader;
    }
}
