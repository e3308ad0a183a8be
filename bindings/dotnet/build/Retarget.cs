// Retargets an assembly mcs compiled against Mono's .NET Framework 4.6.1 reference profile to
// .NET Standard 2.0: every type it uses from the framework (mscorlib, System, System.Core) is
// looked up in the .NET Standard 2.0 facade and, when there, referenced from `netstandard`
// 2.0.0.0 instead, as a netstandard2.0 build by the .NET SDK references it. A type that
// .NET Standard 2.0 lacks fails the build, so the package never claims an API it cannot have.
//   mono Retarget.exe IN.dll OUT.dll NETSTANDARD-FACADE.dll
using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;

static class Retarget
{
    static readonly byte[] NetStandardToken = { 0xcc, 0x7b, 0x13, 0xff, 0xcd, 0x2d, 0xdd, 0x51 };

    static int Main(string[] args)
    {
        if (args.Length != 3) { Console.Error.WriteLine("usage: Retarget IN.dll OUT.dll netstandard-facade.dll"); return 2; }
        var facade = ModuleDefinition.ReadModule(args[2]);
        var surface = new HashSet<string>(facade.ExportedTypes.Select(t => t.FullName));
        foreach (var t in facade.Types) surface.Add(t.FullName);
        if (surface.Count < 2000) { Console.Error.WriteLine("retarget: " + args[2] + " does not look like the netstandard facade"); return 1; }

        var rp = new ReaderParameters { ReadSymbols = false };
        var module = ModuleDefinition.ReadModule(args[0], rp);
        var framework = new HashSet<string> { "mscorlib", "System", "System.Core" };
        var netstandard = new AssemblyNameReference("netstandard", new Version(2, 0, 0, 0)) { PublicKeyToken = NetStandardToken };
        module.AssemblyReferences.Add(netstandard);
        var missing = new List<string>();
        foreach (TypeReference tr in module.GetTypeReferences())
        {
            if (tr.DeclaringType != null) continue; // nested: follows its declaring type
            var scope = tr.Scope as AssemblyNameReference;
            if (scope == null) continue;
            if (!framework.Contains(scope.Name))
            {
                if (scope.Name != "netstandard") missing.Add(tr.FullName + " from " + scope.Name + " (not a framework assembly)");
                continue;
            }
            if (!surface.Contains(tr.FullName)) { missing.Add(tr.FullName + " (not in .NET Standard 2.0)"); continue; }
            tr.Scope = netstandard;
        }
        if (missing.Count > 0)
        {
            Console.Error.WriteLine("retarget: these types cannot be referenced from netstandard 2.0:\n  " + string.Join("\n  ", missing));
            return 1;
        }
        foreach (var r in module.AssemblyReferences.Where(r => framework.Contains(r.Name)).ToList())
            module.AssemblyReferences.Remove(r);
        module.Write(args[1]);
        Console.WriteLine("retarget: " + args[1] + " references " + string.Join(", ", module.AssemblyReferences.Select(r => r.Name + " " + r.Version)));
        return 0;
    }
}
