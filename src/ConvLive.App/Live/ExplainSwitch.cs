// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;

namespace ConvLive.App.Live;

/// <summary>Which explanation the live view shows (none, gradient, guided, deconv, Grad-CAM): switched by the render
/// thread (key E), read by the inference thread every frame.</summary>
internal sealed class ExplainSwitch(ExplainMethod? initial)
{
    private volatile int _mode = initial is { } m ? (int)m : -1;

    /// <summary>The method shown, or null for none.</summary>
    public ExplainMethod? Method => _mode < 0 ? null : (ExplainMethod)_mode;

    /// <summary>The method's name as the command line spells it, or "none".</summary>
    public string Name => Method is { } m ? ExplainMethods.Names[(int)m] : "none";

    /// <summary>Off → gradient → guided → deconv → Grad-CAM → off.</summary>
    public void Next()
    {
        Why = null;
        _mode = _mode + 1 >= ExplainMethods.Names.Count ? -1 : _mode + 1;
    }

    /// <summary>Why the last view was switched off (the model cannot be explained that way), or null.</summary>
    public string? Why { get; private set; }

    /// <summary>Switches the view off because this model cannot give it; <paramref name="why"/> is shown instead.</summary>
    public void Fail(string why)
    {
        Why = why;
        _mode = -1;
    }

    /// <summary>The unit explained instead of the top class (key U on a selected channel), or null for the class.</summary>
    public (string Value, int Channel)? Unit
    {
        get => Volatile.Read(ref _unit)?.Value;
        set => Volatile.Write(ref _unit, value is { } u ? new Boxed(u) : null);
    }

    private Boxed? _unit;

    private sealed record Boxed((string Value, int Channel) Value);
}
