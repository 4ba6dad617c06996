// Copyright (c) ConvLive authors. Licensed under the MIT licence.

using ConvLive.Render.Native;

namespace ConvLive.Render.Tests;

/// <summary>The Windows host turns virtual-key codes into the same keys the GLFW host gives.</summary>
public sealed class Win32KeyTests
{
    [Theory]
    [InlineData(0x25, Key.Left)]
    [InlineData(0x27, Key.Right)]
    [InlineData(0x26, Key.Up)]
    [InlineData(0x28, Key.Down)]
    [InlineData(0x21, Key.PageUp)]
    [InlineData(0x22, Key.PageDown)]
    [InlineData(0x1B, Key.Escape)]
    [InlineData(0x08, Key.Backspace)]
    [InlineData(0x09, Key.Tab)]
    [InlineData(0x0D, Key.Enter)]
    [InlineData(0x20, Key.Space)]
    [InlineData(0x31, Key.D1)]
    [InlineData(0x39, Key.D9)]
    [InlineData(0x48, Key.H)]
    [InlineData(0x4C, Key.L)]
    [InlineData(0x58, Key.X)]
    public void VirtualKeysBecomeTheKeysTheAppHandles(int vk, Key key) => Assert.Equal((int)key, Win32WindowHost.KeyCode(vk));

    [Fact]
    public void OtherVirtualKeysNeverCollideWithAKey()
    {
        foreach (var vk in new[] { 0x10, 0x11, 0x70, 0x7B, 0xBA, 0xDE })
        {
            Assert.False(Enum.IsDefined((Key)Win32WindowHost.KeyCode(vk)), $"VK 0x{vk:X2} maps onto a key");
        }
    }
}
