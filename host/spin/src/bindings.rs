//! Guest bindings for the world `idplex:spin-front/front`: the import of
//! `idplex:scim/handler`, resolved from the repository's `wit/` (the single source of the
//! `idplex:scim` package) and this crate's `wit/front.wit`. No hand-written logic lives here.

wit_bindgen::generate!({
    world: "idplex:spin-front/front",
    path: ["../../wit", "wit"],
    with: { "idplex:scim/handler@0.1.0": generate },
});
