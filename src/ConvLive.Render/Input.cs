// Copyright (c) ConvLive authors. Licensed under the MIT licence.

namespace ConvLive.Render;

/// <summary>Keys the app binds. Values are GLFW key codes, so a GLFW key maps by a cast.</summary>
public enum Key
{
    /// <summary>A key the app does not bind.</summary>
    Unknown = -1,

    /// <summary>Space bar.</summary>
    Space = 32,

    /// <summary>Digit 0.</summary>
    D0 = 48,

    /// <summary>Digit 1.</summary>
    D1 = 49,

    /// <summary>Digit 9.</summary>
    D9 = 57,

    /// <summary>Letter A.</summary>
    A = 65,

    /// <summary>Letter B.</summary>
    B = 66,

    /// <summary>Letter C.</summary>
    C = 67,

    /// <summary>Letter E.</summary>
    E = 69,

    /// <summary>Letter F.</summary>
    F = 70,

    /// <summary>Letter G.</summary>
    G = 71,

    /// <summary>Letter H.</summary>
    H = 72,

    /// <summary>Letter I.</summary>
    I = 73,

    /// <summary>Letter K.</summary>
    K = 75,

    /// <summary>Letter L.</summary>
    L = 76,

    /// <summary>Letter M.</summary>
    M = 77,

    /// <summary>Letter N.</summary>
    N = 78,

    /// <summary>Letter O.</summary>
    O = 79,

    /// <summary>Letter P.</summary>
    P = 80,

    /// <summary>Letter Q.</summary>
    Q = 81,

    /// <summary>Letter R.</summary>
    R = 82,

    /// <summary>Letter S.</summary>
    S = 83,

    /// <summary>T.</summary>
    T = 84,

    /// <summary>U.</summary>
    U = 85,

    /// <summary>Page up.</summary>
    PageUp = 266,

    /// <summary>Page down.</summary>
    PageDown = 267,

    /// <summary>Letter V.</summary>
    V = 86,

    /// <summary>Letter W.</summary>
    W = 87,

    /// <summary>Letter X.</summary>
    X = 88,

    /// <summary>Escape.</summary>
    Escape = 256,

    /// <summary>Backspace.</summary>
    Backspace = 259,

    /// <summary>Enter.</summary>
    Enter = 257,

    /// <summary>Tab.</summary>
    Tab = 258,

    /// <summary>Right arrow.</summary>
    Right = 262,

    /// <summary>Left arrow.</summary>
    Left = 263,

    /// <summary>Down arrow.</summary>
    Down = 264,

    /// <summary>Up arrow.</summary>
    Up = 265,
}

/// <summary>A key press (or auto-repeat), delivered on the render thread.</summary>
/// <param name="Key">The key; <see cref="Key.Unknown"/> for unbound keys.</param>
/// <param name="Code">The raw GLFW key code, for keys without a <see cref="Render.Key"/> name.</param>
/// <param name="IsRepeat">True for auto-repeat while held.</param>
public readonly record struct KeyPress(Key Key, int Code, bool IsRepeat);

/// <summary>A mouse button press, delivered on the render thread.</summary>
/// <param name="X">Cursor x in framebuffer pixels from the left.</param>
/// <param name="Y">Cursor y in framebuffer pixels from the top.</param>
/// <param name="Button">0 left, 1 right, 2 middle.</param>
public readonly record struct MouseClick(float X, float Y, int Button);
