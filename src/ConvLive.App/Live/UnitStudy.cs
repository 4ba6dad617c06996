// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.App.Cli;

namespace ConvLive.App.Live;

/// <summary>
/// What the view asks of the selected unit, for the inference thread: which layer and channel are selected (their
/// top-9 is tracked and drawn), a reset or a save of that layer's top-9, and what a unit wants (activation
/// maximisation of a channel, a unit at a position, or a class). The render thread writes; the inference thread
/// reads and takes the requests. The book of top-9 trackers lives here so that it outlives a pipeline reopened on
/// the cpu; only the inference thread touches it.
/// </summary>
internal sealed class UnitStudy(long budgetBytes = UnitStudy.DefaultBudget)
{
    /// <summary>Bytes all top-9 crops may take together: 64 MiB.</summary>
    public const long DefaultBudget = 64L << 20;

    private Selection? _selected;
    private WantsTarget? _wants;
    private int _resets;
    private int _saveAsked;
    private volatile string? _message;

    /// <summary>The trackers (inference thread only).</summary>
    public TopNineBook Book { get; } = new(budgetBytes);

    /// <summary>The selected layer's value and channel, or null (the network input, or a view without one).</summary>
    public (string Layer, int Channel)? Selected => Volatile.Read(ref _selected) is { } s ? (s.Layer, s.Channel) : null;

    /// <summary>What a unit wants is being drawn for, or null.</summary>
    public WantsTarget? Wants => Volatile.Read(ref _wants);

    /// <summary>Resets asked for so far (the inference thread compares with the count it has done).</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>The last thing done that the view reports (saved where, reset), or null.</summary>
    public string? Message { get => _message; set => _message = value; }

    /// <summary>Selects a layer and channel (render thread; allocates only when the selection changes).</summary>
    public void Select(string? layer, int channel)
    {
        var current = Volatile.Read(ref _selected);
        if (layer is null)
        {
            Volatile.Write(ref _selected, null);
        }
        else if (current is null || current.Layer != layer || current.Channel != channel)
        {
            Volatile.Write(ref _selected, new Selection(layer, channel));
        }
    }

    /// <summary>Forgets the selected layer's top-9 (key X).</summary>
    public void Reset() => Interlocked.Increment(ref _resets);

    /// <summary>Asks for the selected layer's top-9 to be written to <c>convlive-top9-LAYER-TIME/</c> (key N).</summary>
    public void Save() => Volatile.Write(ref _saveAsked, 1);

    /// <summary>Takes a pending save request (inference thread).</summary>
    public bool TakeSave() => Interlocked.Exchange(ref _saveAsked, 0) == 1;

    /// <summary>Starts drawing what <paramref name="target"/> wants, or stops (null).</summary>
    public void SetWants(WantsTarget? target) => Volatile.Write(ref _wants, target);

    /// <summary>Stops drawing <paramref name="failed"/> (it cannot be maximised), unless another target was asked
    /// for meanwhile.</summary>
    public void ClearWants(WantsTarget failed) => Interlocked.CompareExchange(ref _wants, null, failed);

    private sealed record Selection(string Layer, int Channel);
}

/// <summary>What activation maximisation climbs: a unit (a channel, or one position of it) or a class.</summary>
/// <param name="Unit">The unit, or null for a class.</param>
/// <param name="Class">The class, when <paramref name="Unit"/> is null.</param>
internal sealed record WantsTarget(UnitSpec? Unit, int Class)
{
    /// <inheritdoc/>
    public override string ToString() => Unit is { } u ? u.ToString() : $"class {Class}";
}
