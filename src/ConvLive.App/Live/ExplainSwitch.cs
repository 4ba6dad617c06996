// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Engine.Explain;

namespace ConvLive.App.Live;

/// <summary>Which explanation the live view shows (none, gradient, guided, deconv, Grad-CAM): switched by the render
/// thread (key E), read by the inference thread every frame.</summary>
internal sealed class ExplainSwitch(ExplainMethod? initial)
{
    private int _mode = initial is { } m ? (int)m : -1; // read and written through Volatile/Interlocked

    /// <summary>The method shown, or null for none.</summary>
    public ExplainMethod? Method => Volatile.Read(ref _mode) is var mode && mode >= 0 ? (ExplainMethod)mode : null;

    /// <summary>The method's name as the command line spells it, or "none".</summary>
    public string Name => Method is { } m ? ExplainMethods.Names[(int)m] : "none";

    /// <summary>Off → gradient → guided → deconv → Grad-CAM → off.</summary>
    public void Next()
    {
        Why = null;
        int mode, next;
        do
        {
            mode = Volatile.Read(ref _mode);
            next = mode + 1 >= ExplainMethods.Names.Count ? -1 : mode + 1;
        }
        while (Interlocked.CompareExchange(ref _mode, next, mode) != mode);
    }

    /// <summary>Why the last view was switched off (the model cannot be explained that way), or null.</summary>
    public string? Why { get => _why; private set => _why = value; }

    private volatile string? _why;

    /// <summary>Switches <paramref name="failed"/> off because this model cannot give it (<paramref name="why"/> is shown
    /// instead), unless the user has picked another view since (inference thread).</summary>
    public void Fail(ExplainMethod failed, string why)
    {
        if (Interlocked.CompareExchange(ref _mode, -1, (int)failed) == (int)failed)
        {
            Why = why;
        }
    }

    /// <summary>The unit explained instead of the top class (key U on a selected channel), or null for the class.</summary>
    public Cli.UnitSpec? Unit
    {
        get => Volatile.Read(ref _unit)?.Value;
        set => Volatile.Write(ref _unit, value is { } u ? new Boxed(u) : null);
    }

    private Boxed? _unit;
    private volatile int _class = -1;

    /// <summary>The class explained instead of the top one (a click on a top-5 line), or −1 for the top class.</summary>
    public int Class { get => _class; set => _class = value; }

    /// <summary>What is explained, for the stats: "top class", "class K" or "VALUE:CHANNEL" or "VALUE:CHANNEL@X,Y".</summary>
    public string Seed => Unit is { } u ? u.ToString() : Class >= 0 ? $"class {Class}" : "top class";

    private sealed record Boxed(Cli.UnitSpec Value);
}
