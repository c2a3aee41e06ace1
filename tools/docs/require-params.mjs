// TypeDoc plugin: every documented function or method of the public API also documents each
// parameter (@param) and what it returns (@returns, unless it returns nothing). TypeDoc's own
// validation.notDocumented only checks that a comment exists.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const exempt = new Set(app.options.getValue('intentionallyNotDocumented'));
    const kinds = ReflectionKind.CallSignature | ReflectionKind.ConstructorSignature;
    for (const signature of context.project.getReflectionsByKind(kinds)) {
      const owner = signature.parent;
      if (owner?.flags?.isPrivate || owner?.flags?.isProtected || owner?.flags?.isExternal) continue;
      // Inherited or implemented signatures are documented where they are declared.
      if (signature.inheritedFrom || owner?.inheritedFrom) continue;
      const name = signature.getFriendlyFullName();
      let exempted = false;
      for (let r = signature; r && !exempted; r = r.parent) exempted = exempt.has(r.getFriendlyFullName());
      if (exempted) continue; // listed in intentionallyNotDocumented (itself or an enclosing declaration)
      const comment = signature.comment;
      if (!comment) continue; // reported by validation.notDocumented
      for (const parameter of signature.parameters ?? []) {
        if (!parameter.comment) app.logger.warn(`${name}: parameter '${parameter.name}' has no @param`);
      }
      const returns = signature.type?.toString() ?? 'void';
      const nothing = /^(void|undefined|never|Promise<void>|Promise<undefined>)$/.test(returns);
      const isConstructor = signature.kindOf(ReflectionKind.ConstructorSignature);
      if (!nothing && !isConstructor && !comment.getTag('@returns'))
        app.logger.warn(`${name}: no @returns (returns ${returns})`);
    }
  });
}
