//! A map that remembers which keys changed, so that `--state` writes only
//! the rows an operation touched.
//!
//! Reads go through `Deref` to the inner `BTreeMap`; every way to change an
//! entry (`get_mut`, `insert`, `remove`) is a method here that records the
//! key first. There is no `DerefMut`: code that wants to change the map
//! cannot do it without the key being recorded, and the compiler says so.
//! Recording costs a key clone per change, kept also without `--state`
//! (the set is cleared at the end of each critical section) so that the
//! code is the same either way.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

/// A `BTreeMap<String, V>` that records the keys changed since the last
/// [`Tracked::take_changed`].
#[derive(Debug)]
pub(crate) struct Tracked<V> {
    entries: BTreeMap<String, V>,
    /// Keys inserted, removed or borrowed mutably since the last take.
    changed: BTreeSet<String>,
    /// Whether a key was inserted or removed (not only changed) since the
    /// last take.
    reshaped: bool,
}

impl<V> Default for Tracked<V> {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            changed: BTreeSet::new(),
            reshaped: false,
        }
    }
}

impl<V> Deref for Tracked<V> {
    type Target = BTreeMap<String, V>;

    fn deref(&self) -> &Self::Target {
        &self.entries
    }
}

impl<V> Tracked<V> {
    /// A map holding `entries`, none of them recorded as changed: what a
    /// load from the state file builds.
    pub(crate) fn loaded(entries: BTreeMap<String, V>) -> Self {
        Self {
            entries,
            changed: BTreeSet::new(),
            reshaped: false,
        }
    }

    /// The entry `key`, mutably; records `key` when it exists.
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        String: Borrow<Q>,
        Q: Ord + ToOwned<Owned = String> + ?Sized,
    {
        let entry = self.entries.get_mut(key)?;
        if !self.changed.contains(key) {
            self.changed.insert(key.to_owned());
        }
        Some(entry)
    }

    /// Inserts or replaces `key`.
    pub(crate) fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.reshaped = true;
        self.entries.insert(key, value)
    }

    /// Removes `key`.
    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        String: Borrow<Q>,
        Q: Ord + ToOwned<Owned = String> + ?Sized,
    {
        let removed = self.entries.remove(key)?;
        self.changed.insert(key.to_owned());
        self.reshaped = true;
        Some(removed)
    }

    /// The keys changed since the last call, and whether any was inserted
    /// or removed; clears the record.
    pub(crate) fn take_changed(&mut self) -> (BTreeSet<String>, bool) {
        let reshaped = std::mem::take(&mut self.reshaped);
        (std::mem::take(&mut self.changed), reshaped)
    }

    /// Whether any key changed since the last take.
    pub(crate) fn is_changed(&self) -> bool {
        !self.changed.is_empty()
    }

    /// Records `keys` as changed again, after a write of them failed.
    pub(crate) fn restore_changed(&mut self, keys: BTreeSet<String>, reshaped: bool) {
        self.changed.extend(keys);
        self.reshaped |= reshaped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_is_recorded_and_reads_are_not() {
        let mut map = Tracked::default();
        map.insert("a".to_owned(), 1);
        map.insert("b".to_owned(), 2);
        assert_eq!(map.take_changed().0.len(), 2);
        assert_eq!(map.get("a"), Some(&1));
        assert!(!map.is_changed());
        if let Some(value) = map.get_mut("b") {
            *value = 3;
        }
        assert!(map.get_mut("missing").is_none());
        let (changed, reshaped) = map.take_changed();
        assert_eq!(
            changed.into_iter().collect::<Vec<_>>(),
            vec!["b".to_owned()]
        );
        assert!(!reshaped);
        map.remove("a");
        let (changed, reshaped) = map.take_changed();
        assert!(changed.contains("a") && reshaped);
    }
}
