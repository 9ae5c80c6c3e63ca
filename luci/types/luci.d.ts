// Typed declarations of the part of LuCI's client-side JavaScript API
// (luci-base, OpenWrt 23.05 to 25.12) that our views use. Written for this
// project from LuCI's documented behaviour and its source (openwrt/luci
// modules/luci-base/htdocs/luci-static/resources: luci.js, form.js, ui.js,
// tools/widgets.js); extend it when a view needs more.
//
// LuCI loads a view by wrapping its source in
// `function(window, document, L, <one parameter per 'require x' line>)`; the
// view's source ends in `return view.extend({...})`. Here each module is an
// import from `luci:<name>`, which luci/build.mjs turns into that line:
// `import form from 'luci:form'` becomes `'require form';`.

declare namespace LuCI {
  /** What E() and dom.append() accept. A lone string is set as innerHTML; strings inside an array become text nodes. */
  type Child = Node | string | number | null | undefined;
  type Children = Child | Child[];
  /** Element attributes; a function value becomes an event listener of that name. */
  type Attributes = Record<string, string | number | boolean | null | undefined | ((ev: Event) => unknown)>;

  /** The global `L`: LuCI's runtime. */
  interface Runtime {
    env: Record<string, unknown>;
    /** A promise of `value`, or of `defvalue` when `value` rejects. */
    resolveDefault<T, D>(value: T | Promise<T>, defvalue: D): Promise<T | D>;
    /** False when the menu node of this view is read-only for the session (its ACL grants read only); null without a node. */
    hasViewPermission(): boolean | null;
    bind<A extends unknown[], R>(fn: (...args: A) => R, self: unknown): (...args: A) => R;
    isObject(value: unknown): value is Record<string, unknown>;
    toArray(value: unknown): string[];
    /** A URL below the LuCI script path, e.g. L.url('admin', 'network'). */
    url(...parts: string[]): string;
    /** A URL below /luci-static/resources. */
    resource(...parts: string[]): string;
  }

  /** 'require view': the base class of every view. */
  namespace view {
    interface Spec<T> {
      /** Runs first; its (resolved) value is passed to render(). */
      load?(): T | Promise<T>;
      /** Returns the node LuCI puts into the page, followed by the Save & Apply / Save / Reset footer. */
      render(data: T): Node | Promise<Node>;
      /** Default: save() on every form.Map of the view. null removes the button. */
      handleSave?: ((ev: Event) => unknown) | null;
      /** Default: handleSave(), then ui.changes.apply() (with rollback unless mode is '1'). null removes the button. */
      handleSaveApply?: ((ev: Event, mode: string) => unknown) | null;
      /** Default: reset() on every form.Map of the view. null removes the button. */
      handleReset?: ((ev: Event) => unknown) | null;
    }
    /** What view.extend() returns: the class LuCI instantiates. */
    interface Class {
      readonly displayName: string;
    }
    interface Module {
      extend<T>(spec: Spec<T> & ThisType<Spec<T>>): Class;
    }
  }

  /** 'require form': declarative forms bound to UCI. */
  namespace form {
    type Value_ = string | string[] | null;
    /** Options are added with section.option(Class, name, title, description). */
    type OptionClass<O> = new (map: Map, section: AbstractSection, option: string, title?: string, description?: string) => O;
    /** Sections are added with map.section(Class, ...args). */
    type SectionClass<S, A extends unknown[]> = new (map: Map, ...args: A) => S;

    interface Map {
      readonly config: string;
      title: string;
      description: string;
      /**
       * Disables every widget. Left null, load() asks rpcd whether the session
       * may write the UCI config and sets it to true when it may not.
       */
      readonly: boolean | null;
      section<S extends AbstractSection, A extends unknown[]>(cls: SectionClass<S, A>, ...args: A): S;
      /** Loads the config and renders the form (the div.cbi-map). */
      render(): Promise<HTMLElement>;
      /** Parses the widgets into uci changes and saves them (staged, not yet applied). */
      save(cb?: () => unknown, silent?: boolean): Promise<void>;
      reset(): Promise<HTMLElement>;
    }

    interface AbstractSection {
      /** The UCI section type (NamedSection: its type argument). */
      readonly sectiontype: string;
      title: string;
      description: string;
      /** Show Add/Delete buttons for the section. Default false. */
      addremove: boolean;
      anonymous: boolean;
      option<O extends AbstractValue>(cls: OptionClass<O>, option: string, title?: string, description?: string): O;
      tab(name: string, title: string, description?: string): void;
      taboption<O extends AbstractValue>(tab: string, cls: OptionClass<O>, option: string, title?: string, description?: string): O;
      cfgsections(): string[];
    }
    /** One named UCI section: map.section(form.NamedSection, name, type, title?, description?). */
    interface NamedSection extends AbstractSection {
      readonly section: string;
    }
    /** Every section of a type: map.section(form.TypedSection, type, title?, description?). */
    interface TypedSection extends AbstractSection {}

    interface AbstractValue {
      readonly option: string;
      title: string;
      /** Shown below the widget; may hold HTML. */
      description: string;
      /** Value shown when the option is not set. */
      default: Value_;
      /** Remove the option when the value is empty or equals the default (the default). Set false to write it always. */
      rmempty: boolean;
      optional: boolean;
      /** Keep the stored value while the option is hidden by depends() (default: removed on save). */
      retain: boolean;
      /** Disable this widget; null follows the map. */
      readonly: boolean | null;
      placeholder: string;
      /** A LuCI validation expression such as 'ipaddr' or 'or(ipaddr,macaddr)'. */
      datatype: string;
      /** Show the option only when another option of the section has this value; several calls are alternatives. */
      depends(option: string, value: string): void;
      depends(conditions: Record<string, string>): void;
      /** The stored value the widget starts from (default: the UCI option); its result becomes cfgvalue(). */
      load(section_id: string): Value_ | undefined | Promise<Value_ | undefined>;
      cfgvalue(section_id: string): Value_;
      formvalue(section_id: string): Value_;
      /**
       * Checks the input as it is typed (a list: each entry as it is added): true, or the message shown on the
       * widget. Save refuses while a widget is invalid.
       */
      validate(section_id: string, value: Value_): true | string;
      /** Stores a changed value (default: uci.set). */
      write(section_id: string, value: Value_): unknown;
      /** Removes the option (an emptied value with rmempty, or hidden without retain; default: uci.unset). */
      remove(section_id: string): unknown;
    }
    interface Value extends AbstractValue {
      /** Adds a choice (a select entry, or a suggestion for a free-text value). */
      value(key: string, label?: string): void;
    }
    interface ListValue extends Value {}
    interface DynamicList extends Value {}
    /** A checkbox; writes `enabled` ('1') or `disabled` ('0'). */
    interface Flag extends AbstractValue {
      enabled: string;
      disabled: string;
    }
    /** Displays a value, never writes. */
    interface DummyValue extends AbstractValue {
      rawhtml: boolean;
    }

    interface Module {
      Map: new (config: string, title?: string, description?: string) => Map;
      NamedSection: SectionClass<NamedSection, [section: string, sectionType: string, title?: string, description?: string]>;
      TypedSection: SectionClass<TypedSection, [sectionType: string, title?: string, description?: string]>;
      Value: OptionClass<Value>;
      ListValue: OptionClass<ListValue>;
      DynamicList: OptionClass<DynamicList>;
      Flag: OptionClass<Flag>;
      DummyValue: OptionClass<DummyValue>;
    }
  }

  /** 'require tools.widgets': form options that list the router's zones and devices (luci-base tools/widgets.js). */
  namespace widgets {
    interface Select extends form.ListValue {
      /** Choose several: the value is a list. */
      multiple: boolean;
      /** No free-text entry of a name that is not listed. */
      nocreate: boolean;
    }
    /** Firewall zones (firewall.getZones(): uci config firewall). */
    interface ZoneSelect extends Select {}
    /** Network devices (network.getDevices()), and `@<network>` aliases unless noaliases. */
    interface DeviceSelect extends Select {
      noaliases: boolean;
      nobridges: boolean;
      noinactive: boolean;
    }
    interface Module {
      ZoneSelect: form.OptionClass<ZoneSelect>;
      DeviceSelect: form.OptionClass<DeviceSelect>;
    }
  }

  /** 'require rpc': ubus over HTTP, with the session's ACL. */
  namespace rpc {
    interface Declaration {
      object: string;
      method: string;
      /** Names of the positional arguments of the returned function. */
      params?: string[];
      /** `{ key: default }`: resolve with answer[key] ('' for the whole answer), or the default when missing or of another type. */
      expect?: Record<string, unknown>;
      /** Reject when ubus returns a non-zero status (no such object, permission denied); default: resolve with the status code. */
      reject?: boolean;
      /** Send alone instead of batched with other calls. */
      nobatch?: boolean;
    }
    interface Module {
      declare<R, A extends unknown[] = []>(declaration: Declaration): (...args: A) => Promise<R>;
    }
  }

  /** 'require uci': the client-side UCI state used by form.Map. */
  namespace uci {
    interface Module {
      load(config: string | string[]): Promise<string[]>;
      /** An option's value (undefined when unset), or the whole section without option. */
      get(config: string, section: string, option: string): string | string[] | null | undefined;
      get(config: string, section: string): Record<string, unknown> | null | undefined;
      /** null or '' removes the option. */
      set(config: string, section: string, option: string, value: string | string[] | null): void;
      unset(config: string, section: string, option: string): void;
      /** Sends the staged changes to rpcd (uci set/delete); they apply with ui.changes.apply(). */
      save(): Promise<string[]>;
    }
  }

  /** 'require ui' */
  namespace ui {
    interface Module {
      /** A dismissable message above the view; classes such as 'info', 'warning', 'danger'. */
      addNotification(title: string | null, children: Children, ...classes: string[]): HTMLElement;
      changes: {
        /**
         * Applies the staged changes: with rollback (checked) LuCI commits,
         * waits for the browser to confirm, then fires the document event
         * 'uci-applied' and reloads the page.
         */
        apply(checked?: boolean): void;
      };
    }
  }

  /** 'require poll': LuCI's one-second polling loop. */
  namespace poll {
    interface Module {
      /** Calls fn every `interval` seconds (a returned promise is awaited first). */
      add(fn: () => unknown, interval?: number): boolean;
      remove(fn: () => unknown): boolean;
      start(): boolean;
      stop(): boolean;
      active(): boolean;
    }
  }

  /** 'require dom' */
  namespace dom {
    interface Module {
      /** Replaces the children of node. */
      content(node: Node, children: Children): Node | null;
      append(node: Node, children: Children): Node | null;
      parent(node: Node, selector: string): HTMLElement | null;
    }
  }
}

/** Translates through the view's po catalogue; luci/build.mjs --pot collects every _('literal'). */
declare function _(message: string, context?: string): string;
/** Builds an element: E('div', { class: 'x', click: fn }, children) or E('p', children). */
declare function E(tag: string, attributes?: LuCI.Attributes | null, children?: LuCI.Children): HTMLElement;
declare function E(tag: string, children: LuCI.Children): HTMLElement;
declare const L: LuCI.Runtime;

interface String {
  /** LuCI's printf: %s, %d, %f, %h (HTML-escaped), %t (duration), %m (size), with flags and width. */
  format(...args: unknown[]): string;
}

declare module 'luci:view' {
  const view: LuCI.view.Module;
  export default view;
}
declare module 'luci:form' {
  const form: LuCI.form.Module;
  export default form;
}
declare module 'luci:rpc' {
  const rpc: LuCI.rpc.Module;
  export default rpc;
}
declare module 'luci:uci' {
  const uci: LuCI.uci.Module;
  export default uci;
}
declare module 'luci:ui' {
  const ui: LuCI.ui.Module;
  export default ui;
}
declare module 'luci:poll' {
  const poll: LuCI.poll.Module;
  export default poll;
}
declare module 'luci:tools.widgets' {
  const widgets: LuCI.widgets.Module;
  export default widgets;
}
declare module 'luci:dom' {
  const dom: LuCI.dom.Module;
  export default dom;
}
